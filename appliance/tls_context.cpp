// Building the mail services' TLS server context from [tls] cert/key, making a self-signed pair when there is none.
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

#include "appliance/check.hpp"
#include "appliance/openssl_handles.hpp"
#include "appliance/service.hpp"

namespace mxlab::appliance {

namespace {

namespace fs = std::filesystem;

using namespace ossl;

// The first line of both files of a pair mxlab made. It is what lets mxlab
// tell its own pair (remade when the names change) from a user's (never
// written), and it travels with the file: a sidecar could outlive the pair it
// described and get a user's certificate overwritten. Text before a PEM block
// is allowed (RFC 7468 section 2) and OpenSSL, GnuTLS and NSS skip it.
constexpr std::string_view kMarker = "# mxlab self-signed";

// Our own pair is remade this long before it expires, so it never does.
constexpr std::chrono::days kRenewBefore{30};

// Mozilla's "intermediate" TLS 1.2 suites (ssl-config.mozilla.org, guidelines 5.7).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// A certificate or key file is a few KiB; a file this large is a wrong path.
constexpr std::size_t kMaxFileSize = 1 << 20;

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

// Whether anything is at `p`. A dangling symlink counts: it is the user's
// setup (say, a link into /etc/letsencrypt), not a missing file to fill in.
bool present(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found;
}

// The file's contents, or nullopt with the reason in `error`.
std::optional<std::string> try_read(const fs::path& p, std::string* error = nullptr) {
    auto fail = [&](int err) -> std::optional<std::string> {
        if (error) *error = std::strerror(err);
        return std::nullopt;
    };
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno);
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return fail(err);
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileSize) {
            ::close(fd);
            if (error) *error = "larger than 1 MiB: not a certificate or key";
            return std::nullopt;
        }
    }
    ::close(fd);
    return text;
}

std::string read_or_throw(const fs::path& p, std::string_view key) {
    std::string error;
    auto text = try_read(p, &error);
    if (!text) throw StartError(std::string(key) + " " + p.string() + " cannot be read: " + error);
    return *text;
}

bool ours(const std::optional<std::string>& text) { return text && text->starts_with(kMarker); }

// Replaces `path` with `content` so that a reader sees either the old file or
// the whole new one: a temporary file in the same folder (created 0600 by
// mkstemp, so a key is never readable by others even for an instant), synced,
// then renamed over the target, then the folder synced.
void write_atomically(const fs::path& path, std::string_view content, mode_t mode) {
    auto fail = [&](std::string_view what, int err) {
        throw StartError("cannot write " + path.string() + ": " + std::string(what) + ": " + std::strerror(err));
    };
    const fs::path dir = path.parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw StartError("cannot create " + dir.string() + ": " + ec.message());

    std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) fail("cannot create a temporary file", errno);
    struct Guard {  // removes the temporary file unless it became the target
        std::string& tmp;
        int& fd;
        bool done = false;
        ~Guard() {
            if (fd >= 0) ::close(fd);
            if (!done) ::unlink(tmp.c_str());
        }
    } guard{tmp, fd};

    for (std::size_t off = 0; off < content.size();) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", errno);
        off += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, mode) != 0) fail("chmod", errno);
    if (::fsync(fd) != 0) fail("fsync", errno);
    int closing = fd;
    fd = -1;
    if (::close(closing) != 0) fail("close", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", errno);
    guard.done = true;
    if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);  // the rename itself survives a crash; failing here changes nothing for the caller
        ::close(dfd);
    }
}

// Makes a self-signed pair for `names` and writes it to cfg.tls.cert/key,
// which are the two default paths (an explicit pair is never written).
void write_self_signed(const config::Config& cfg, const std::vector<std::string>& names, std::string_view reason,
                       Logger& log) {
    PemPair pair;
    try {
        pair = make_self_signed(names);
    } catch (const std::exception& e) {
        throw StartError(std::string("cannot make a self-signed certificate: ") + e.what());
    }
    const fs::path& cert = cfg.tls.cert;
    const fs::path& key = cfg.tls.key;
    const std::string cert_header =
        std::string(kMarker) + " certificate for: " + join(names, " ") +
        "\n# mxlab makes a new pair when appliance.hostname or a domain's mx changes.\n"
        "# To use your own certificate, replace this file and the key file: mxlab never writes over those.\n";
    // Key first: a crash between the two renames leaves a pair of ours
    // that does not match, which the next start remakes.
    write_atomically(key, std::string(kMarker) + " key, for " + cert.filename().string() + "\n" + pair.key, 0600);
    write_atomically(cert, cert_header + pair.cert, 0644);
    log.info("tls.self_signed", {{"cert", cert.string()},
                                 {"key", key.string()},
                                 {"names", join(names, ",")},
                                 {"reason", reason},
                                 {"sha256", inspect_certificate(pair.cert).sha256}});
}

// Why a pair of ours must be remade, if it must.
std::optional<std::string_view> stale_reason(const std::string& cert_text, const std::string& key_text,
                                             const std::vector<std::string>& names) {
    CertInfo info;
    try {
        info = inspect_certificate(cert_text);
    } catch (const OpenSslError&) {
        return "unreadable";
    }
    if (!info.covers(names)) return "names_changed";
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

std::vector<std::string> tls_names(const config::Config& cfg) {
    std::vector<std::string> names;
    auto add = [&](const std::string& n) {
        if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    };
    add(cfg.appliance.hostname);
    for (const auto& d : cfg.domains)
        if (d.mail) add(d.mx);
    return names;
}

void ensure_tls_files(const config::Config& cfg, Logger& log) {
    if (explicit_tls(cfg)) {
        // The user's pair, used as given: a missing file is an error, never a reason to write one.
        if (const auto missing = missing_tls_files(cfg); !missing.empty())
            throw StartError(missing.front().key + " " + missing.front().message);
        return;
    }
    const auto names = tls_names(cfg);
    const fs::path& cert = cfg.tls.cert;
    const fs::path& key = cfg.tls.key;
    const bool has_cert = present(cert);
    const bool has_key = present(key);
    if (!has_cert && !has_key) return write_self_signed(cfg, names, "missing", log);

    const auto cert_text = has_cert ? try_read(cert) : std::nullopt;
    const auto key_text = has_key ? try_read(key) : std::nullopt;
    if (has_cert != has_key) {
        if (ours(has_cert ? cert_text : key_text)) return write_self_signed(cfg, names, "incomplete", log);
        const fs::path& there = has_cert ? cert : key;
        const fs::path& missing = has_cert ? key : cert;
        throw StartError(std::string(has_cert ? "tls.key " : "tls.cert ") + missing.string() + " is missing but " +
                         (has_cert ? "tls.cert " : "tls.key ") + there.string() +
                         " exists: put the matching " + (has_cert ? "private key" : "certificate") +
                         " there, or remove " + there.string() + " to have mxlab make a self-signed pair");
    }
    if (!ours(cert_text) || !ours(key_text)) return;  // the user's pair: read, never written
    if (auto reason = stale_reason(*cert_text, *key_text, names)) write_self_signed(cfg, names, *reason, log);
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

std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& cfg, Logger& log) {
    ensure_tls_files(cfg, log);
    auto ctx = load_tls_context(cfg);
    const CertInfo info = certificate_info(*ctx);
    const bool self_made = ours(try_read(cfg.tls.cert));
    log.info("tls.loaded", {{"cert", cfg.tls.cert.string()},
                            {"source", self_made ? "mxlab-self-signed" : "user"},
                            {"subject", info.subject},
                            {"names", join(info.dns_names, ",")},
                            {"sha256", info.sha256},
                            {"not_after", utc_text(info.not_after)}});
    if (!self_made) {
        std::vector<std::string> missing;
        for (const auto& n : tls_names(cfg))
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
