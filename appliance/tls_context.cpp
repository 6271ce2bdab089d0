// Building the mail services' TLS server context from [tls] cert/key, or from a pair the lab CA issues for the appliance's names.
#include "appliance/tls_context.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "appliance/cert_names.hpp"
#include "appliance/check.hpp"
#include "appliance/lab_ca.hpp"
#include "appliance/openssl_handles.hpp"
#include "appliance/service.hpp"
#include "appliance/tls_files.hpp"

namespace mxlab::appliance {

namespace {

namespace fs = std::filesystem;

using namespace ossl;

// Our own pair is remade this long before it expires, so it never does.
constexpr std::chrono::days kRenewBefore{30};

// Mozilla's "intermediate" TLS 1.2 suites (ssl-config.mozilla.org, guidelines 5.7).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

std::string join(const std::vector<std::string>& v, std::string_view sep) {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += sep;
        s += x;
    }
    return s;
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string read_or_throw(const fs::path& p, std::string_view key) {
    std::string error;
    auto text = try_read(p, &error);
    if (!text) throw StartError(std::string(key) + " " + p.string() + " cannot be read: " + error);
    return *text;
}

// Sorted, for comparing what a certificate names with what it should.
std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

std::vector<std::string> address_texts(const std::vector<config::IpAddr>& addresses) {
    std::vector<std::string> out;
    for (const auto& a : addresses) out.push_back(a.str());
    return out;
}

// Issues a server certificate for `names` from the lab CA and writes it to
// cfg.tls.cert/key, which are the two default paths (an explicit pair is
// never written).
void write_issued(const config::Config& cfg, const PemPair& ca, const ServerNames& names, std::string_view reason,
                  Logger& log) {
    PemPair pair;
    try {
        // Never past the CA's own end: a client would stop trusting it then anyway.
        const auto ca_left = std::chrono::duration_cast<std::chrono::seconds>(inspect_certificate(ca.cert).not_after -
                                                                             std::chrono::system_clock::now());
        pair = issue_server_certificate(ca, names, std::min<std::chrono::seconds>(std::chrono::days(824), ca_left));
    } catch (const std::exception& e) {
        throw StartError(std::string("cannot issue the server certificate: ") + e.what());
    }
    const fs::path& cert = cfg.tls.cert;
    const fs::path& key = cfg.tls.key;
    const std::string cert_header =
        std::string(kIssuedMarker) + " certificate for: " + join(names.dns, " ") +
        (names.addresses.empty() ? "" : " " + join(address_texts(names.addresses), " ")) + "\n# Issued by the lab CA in " + lab_ca_cert_path(cfg).string() +
        " (mxlab tls ca prints it); mxlab issues a new one when these names change.\n"
        "# To use your own certificate, replace this file and the key file: mxlab never writes over those.\n";
    // Key first: a crash between the two renames leaves a pair of ours
    // that does not match, which the next start reissues.
    write_atomically(key, std::string(kIssuedMarker) + " key, for " + cert.filename().string() + "\n" + pair.key, 0600);
    write_atomically(cert, cert_header + pair.cert, 0644);
    const CertInfo info = inspect_certificate(pair.cert);
    log.info("tls.issued", {{"cert", cert.string()},
                            {"key", key.string()},
                            {"ca", lab_ca_cert_path(cfg).string()},
                            {"issuer", info.issuer},
                            {"names", join(info.dns_names, ",")},
                            {"addresses", join(info.addresses, ",")},
                            {"reason", reason},
                            {"sha256", info.sha256},
                            {"not_after", utc_text(info.not_after)}});
}

// Why a pair of ours must be reissued, if it must.
std::optional<std::string_view> stale_reason(const std::string& cert_text, const std::string& key_text,
                                             const ServerNames& names, const PemPair& ca) {
    CertInfo info;
    try {
        info = inspect_certificate(cert_text);
    } catch (const OpenSslError&) {
        return "unreadable";
    }
    // A self-signed pair from before the lab CA, or one from a CA since remade.
    if (!issued_by(cert_text, ca.cert)) return "not_from_lab_ca";
    // Exactly the names: one left over is a name the appliance no longer
    // answers for, and a new certificate costs the clients nothing.
    std::vector<std::string> wanted;
    for (const auto& n : names.dns) wanted.push_back(certificate_dns_name(n));
    if (sorted(info.dns_names) != sorted(std::move(wanted)) ||
        sorted(info.addresses) != sorted(address_texts(names.addresses)))
        return "names_changed";
    const auto now = std::chrono::system_clock::now();
    if (!info.valid_at(now) || info.not_after < now + kRenewBefore) return "expiring";
    if (!key_matches(cert_text, key_text)) return "mismatched";
    return std::nullopt;
}

std::string openssl_reason() {
    std::string text = openssl_error_text();
    return text.empty() ? "unknown OpenSSL error" : text;
}

}  // namespace

void ensure_tls_files(const config::Config& cfg, const ServerNames& names, Logger& log) {
    if (explicit_tls(cfg)) {
        // The user's pair, used as given: a missing file is an error, never a reason to write one.
        if (const auto missing = missing_tls_files(cfg); !missing.empty())
            throw StartError(missing.front().key + " " + missing.front().message);
        return;
    }
    const fs::path& cert = cfg.tls.cert;
    const fs::path& key = cfg.tls.key;
    const bool has_cert = present(cert);
    const bool has_key = present(key);
    if (!has_cert && !has_key) return write_issued(cfg, ensure_lab_ca(cfg, log), names, "missing", log);

    const auto cert_text = has_cert ? try_read(cert) : std::nullopt;
    const auto key_text = has_key ? try_read(key) : std::nullopt;
    if (has_cert != has_key) {
        if (made_by_mxlab(has_cert ? cert_text : key_text))
            return write_issued(cfg, ensure_lab_ca(cfg, log), names, "incomplete", log);
        const fs::path& there = has_cert ? cert : key;
        const fs::path& missing = has_cert ? key : cert;
        throw StartError(std::string(has_cert ? "tls.key " : "tls.cert ") + missing.string() + " is missing but " +
                         (has_cert ? "tls.cert " : "tls.key ") + there.string() +
                         " exists: put the matching " + (has_cert ? "private key" : "certificate") +
                         " there, or remove " + there.string() + " to have mxlab's lab CA issue a pair");
    }
    if (!made_by_mxlab(cert_text) || !made_by_mxlab(key_text)) return;  // the user's pair: read, never written
    const PemPair ca = ensure_lab_ca(cfg, log);
    if (auto reason = stale_reason(*cert_text, *key_text, names, ca)) write_issued(cfg, ca, names, *reason, log);
}

std::shared_ptr<asio::ssl::context> load_tls_context(const config::Config& cfg) {
    const fs::path& cert = cfg.tls.cert;
    const fs::path& key = cfg.tls.key;
    const std::string cert_text = read_or_throw(cert, "tls.cert");
    const std::string key_text = read_or_throw(key, "tls.key");
    const std::string cert_name = "tls.cert " + cert.string();
    const std::string key_name = "tls.key " + key.string();

    std::shared_ptr<asio::ssl::context> ctx;
    try {
        ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    } catch (const std::exception& e) {
        throw StartError(std::string("cannot make a TLS context: ") + e.what());
    }
    SSL_CTX* h = ctx->native_handle();
    ERR_clear_error();

    // The server's certificate, then the chain to send with it (a user's
    // CA-issued file holds both, as SSL_CTX_use_certificate_chain_file expects).
    Bio cert_bio(BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size())));
    if (!cert_bio) throw StartError(cert_name + ": " + openssl_reason());
    X509Ptr leaf(PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, nullptr, nullptr));
    if (!leaf) throw StartError(cert_name + " holds no PEM certificate (" + openssl_reason() + ")");
    if (SSL_CTX_use_certificate(h, leaf.get()) != 1)
        throw StartError(cert_name + " cannot be used: " + openssl_reason());
    while (X509Ptr chain{PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)})
        if (SSL_CTX_add1_chain_cert(h, chain.get()) != 1)
            throw StartError(cert_name + ": a chain certificate cannot be used: " + openssl_reason());
    // The loop ends at "no start line" when the file is read to its end; any
    // other error is a chain certificate that does not parse.
    const unsigned long last = ERR_peek_last_error();
    if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE))
        throw StartError(cert_name + ": a chain certificate does not parse (" + openssl_reason() + ")");
    ERR_clear_error();

    // No passphrase callback would make OpenSSL prompt on the terminal and
    // hang a daemon; this one refuses, so an encrypted key fails clearly.
    Bio key_bio(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())));
    if (!key_bio) throw StartError(key_name + ": " + openssl_reason());
    PKey pkey(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr));
    if (!pkey) {
        if (key_text.find("ENCRYPTED") != std::string::npos)
            throw StartError(key_name + " is encrypted: mxlab needs it unencrypted "
                                        "(openssl pkey -in KEY -out KEY.plain, then keep that one private)");
        throw StartError(key_name + " holds no PEM private key (" + openssl_reason() + ")");
    }
    if (X509_check_private_key(leaf.get(), pkey.get()) != 1) {
        ERR_clear_error();
        throw StartError(key_name + " does not match " + cert_name +
                         ": the key is not the private key of the certificate");
    }
    if (SSL_CTX_use_PrivateKey(h, pkey.get()) != 1 || SSL_CTX_check_private_key(h) != 1)
        throw StartError(key_name + " cannot be used with " + cert_name + ": " + openssl_reason());

    // TLS 1.0 and 1.1 are deprecated (RFC 8996) and every lab client speaks
    // 1.2. Set here, not left to /etc/ssl/openssl.cnf, which another system may relax.
    if (SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION) != 1)
        throw StartError("cannot set the minimum TLS version: " + openssl_reason());
    // TLS 1.2: forward-secret AEAD suites only, Mozilla's "intermediate" list.
    // OpenSSL's default also offers RSA key exchange (a leaked key decrypts
    // every recorded session) and CBC suites (padding oracles such as
    // Lucky13). DHE stays for clients whose only AEAD suites with an RSA
    // certificate are DHE ones (Windows 7's SChannel, so older Outlook);
    // dh_auto gives them a group as strong as the certificate's key. TLS 1.3
    // suites are all forward-secret AEAD: its defaults stay.
    if (SSL_CTX_set_cipher_list(h, kTls12Ciphers) != 1 || SSL_CTX_set_dh_auto(h, 1) != 1)
        throw StartError("cannot set the TLS 1.2 cipher suites: " + openssl_reason());
    // Compression: CRIME. Renegotiation: a client could make the server redo
    // the expensive half of a handshake at will. Server cipher order: the
    // order of kTls12Ciphers wins over a client's odd preferences.
    SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return ctx;
}

std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& cfg, Logger& log, const dns::ZoneSet* zones) {
    const CertificateNames wanted = certificate_names(cfg, zones);
    if (wanted.left_out)
        log.warn("tls.names_left_out", {{"names", wanted.names.dns.size()},
                                        {"left_out", wanted.left_out},
                                        {"detail", "more names in our zones point at this appliance than a certificate "
                                                   "should carry: clients using the others will warn"}});
    ensure_tls_files(cfg, wanted.names, log);
    auto ctx = load_tls_context(cfg);
    const CertInfo info = certificate_info(*ctx);
    const bool issued = made_by_mxlab(try_read(cfg.tls.cert));
    log.info("tls.loaded", {{"cert", cfg.tls.cert.string()},
                            {"source", issued ? "mxlab-lab-ca" : "user"},
                            {"subject", info.subject},
                            {"issuer", info.issuer},
                            {"names", join(info.dns_names, ",")},
                            {"addresses", join(info.addresses, ",")},
                            {"sha256", info.sha256},
                            {"not_after", utc_text(info.not_after)}});
    if (!issued) {
        std::vector<std::string> missing;
        for (const auto& n : wanted.names.dns)
            if (!info.covers({n})) missing.push_back(n);
        if (!missing.empty())
            log.warn("tls.names_not_covered", {{"cert", cfg.tls.cert.string()},
                                               {"missing", join(missing, ",")},
                                               {"detail", "clients connecting by these names will warn"}});
        if (!info.valid_at(std::chrono::system_clock::now()))
            log.warn("tls.expired", {{"cert", cfg.tls.cert.string()},
                                     {"not_before", utc_text(info.not_before)},
                                     {"not_after", utc_text(info.not_after)}});
    }
    return ctx;
}

CertInfo certificate_info(asio::ssl::context& ctx) {
    X509* x = SSL_CTX_get0_certificate(ctx.native_handle());
    if (!x) throw std::logic_error("certificate_info: the TLS context has no certificate");
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || !PEM_write_bio_X509(bio.get(), x)) throw OpenSslError("cannot write PEM: " + openssl_reason());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return inspect_certificate(std::string_view(data, static_cast<std::size_t>(len)));
}

}  // namespace mxlab::appliance
