// Making the lab CA, the server certificates it issues and self-signed pairs with OpenSSL 3, and reading the fields mxlab logs and checks.
#include "appliance/certificates.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "appliance/openssl_handles.hpp"
#include "core/ascii.hpp"

namespace mxlab::appliance {

namespace {

using namespace ossl;
using Bignum = Handle<BIGNUM, BN_free>;
using Asn1Integer = Handle<ASN1_INTEGER, ASN1_INTEGER_free>;
using Extension = Handle<X509_EXTENSION, X509_EXTENSION_free>;
using GeneralName = Handle<GENERAL_NAME, GENERAL_NAME_free>;
using Ia5String = Handle<ASN1_IA5STRING, ASN1_IA5STRING_free>;

[[noreturn]] void fail(std::string_view what) {
    std::string text = openssl_error_text();
    throw OpenSslError(std::string(what) + (text.empty() ? "" : ": " + text));
}

// RFC 5280 appendix A.1: ub-common-name is 64 characters.
constexpr std::size_t kMaxCommonName = 64;


std::vector<std::string> normalized_unique(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) {
        std::string s = certificate_dns_name(n);
        if (s.empty() || std::find(out.begin(), out.end(), s) != out.end()) continue;
        // A dNSName is an IA5String (RFC 5280 section 4.2.1.6) in "preferred
        // name syntax": printable ASCII, so anything else is a caller's bug.
        for (unsigned char c : s)
            if (c <= ' ' || c >= 0x7f || c == ',')
                throw std::invalid_argument("not a DNS name for a certificate: \"" + n + "\"");
        out.push_back(std::move(s));
    }
    return out;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

// A positive random serial of at most 20 octets (RFC 5280 section 4.1.2.2).
// Random rather than 1, because Firefox/Thunderbird (NSS) refuse a
// certificate whose issuer and serial equal one they already saw with
// different contents: a regenerated pair for the same hostname must differ.
void set_random_serial(X509* x) {
    Bignum bn(BN_new());
    if (!bn || !BN_rand(bn.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) fail("cannot make a serial number");
    if (BN_is_zero(bn.get()) && !BN_one(bn.get())) fail("cannot make a serial number");
    Asn1Integer serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial || !X509_set_serialNumber(x, serial.get())) fail("cannot set the serial number");
}

void add_extension(X509* x, X509V3_CTX* ctx, int nid, const char* value) {
    Extension ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    if (!ext || !X509_add_ext(x, ext.get(), -1)) fail(std::string("cannot add the extension ") + OBJ_nid2sn(nid));
}

// Built as GENERAL_NAMES rather than a "DNS:a,DNS:b" config string so that a
// name can never be read as another kind of entry.
GeneralNames dns_general_names(const std::vector<std::string>& names) {
    GeneralNames gens(GENERAL_NAMES_new());
    if (!gens) fail("cannot make subjectAltName");
    for (const auto& n : names) {
        Ia5String ia5(ASN1_IA5STRING_new());
        if (!ia5 || !ASN1_STRING_set(ia5.get(), n.data(), static_cast<int>(n.size())))
            fail("cannot make subjectAltName");
        GeneralName gen(GENERAL_NAME_new());
        if (!gen) fail("cannot make subjectAltName");
        GENERAL_NAME_set0_value(gen.get(), GEN_DNS, ia5.release());
        if (!sk_GENERAL_NAME_push(gens.get(), gen.get())) fail("cannot make subjectAltName");
        gen.release();  // owned by gens now
    }
    return gens;
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    if (!ASN1_TIME_to_tm(t, &tm)) fail("cannot read the certificate's validity");
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

}  // namespace

std::string certificate_dns_name(std::string_view name) {
    std::string s = lower(name);
    while (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

std::string openssl_error_text() {
    std::string out;
    const char* data = nullptr;
    int flags = 0;
    while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        if (!out.empty()) out += "; ";
        const char* reason = ERR_reason_error_string(e);
        out += reason ? reason : "error " + std::to_string(ERR_GET_REASON(e));
        if (const char* lib = ERR_lib_error_string(e)) out += std::string(" (") + lib + ")";
        if ((flags & ERR_TXT_STRING) && data && *data) out += std::string(": ") + data;
    }
    return out;
}

namespace {

// What one certificate says about its subject; the rest is the same for all.
struct Profile {
    std::vector<std::string> names;  // normalized; names[0] is the CN when it fits
    std::vector<config::IpAddr> addresses;
    std::string common_name;         // overrides names[0] (the CA's)
    bool ca = false;
    std::chrono::seconds validity{0};
};

PKey new_rsa_key() {
    PKey key(EVP_RSA_gen(2048));
    if (!key) fail("cannot generate an RSA key");
    return key;
}

// Built as GENERAL_NAMES rather than an "IP:a" config string, as the DNS names are.
void add_address_names(GENERAL_NAMES* gens, const std::vector<config::IpAddr>& addresses) {
    for (const auto& a : addresses) {
        Handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> os(ASN1_OCTET_STRING_new());
        if (!os || !ASN1_OCTET_STRING_set(os.get(), a.bytes.data(), a.v6 ? 16 : 4)) fail("cannot make subjectAltName");
        GeneralName gen(GENERAL_NAME_new());
        if (!gen) fail("cannot make subjectAltName");
        GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, os.release());
        if (!sk_GENERAL_NAME_push(gens, gen.get())) fail("cannot make subjectAltName");
        gen.release();
    }
}

// A signed certificate for `key` with `p`'s subject, issued by `issuer`
// (nullptr: self-signed) whose key is `signer`.
X509Ptr make_certificate(const Profile& p, EVP_PKEY* key, X509* issuer, EVP_PKEY* signer) {
    X509Ptr x(X509_new());
    if (!x || !X509_set_version(x.get(), X509_VERSION_3)) fail("cannot make a certificate");
    set_random_serial(x.get());
    // Valid from an hour ago: a client whose clock is a little behind the
    // appliance's must not see a certificate "not yet valid".
    if (!X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) ||
        !X509_time_adj_ex(X509_getm_notAfter(x.get()), static_cast<int>(p.validity.count() / 86400),
                          static_cast<long>(p.validity.count() % 86400), nullptr))
        fail("cannot set the validity");

    // A name longer than a CN may be is left out of the subject; the
    // subjectAltName, which clients match, then has to be critical (RFC 5280
    // section 4.2.1.6).
    X509_NAME* subject = X509_get_subject_name(x.get());
    const std::string& cn = p.common_name.empty() ? p.names.front() : p.common_name;
    const bool has_cn = cn.size() <= kMaxCommonName;
    if (has_cn && !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                              reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0))
        fail("cannot set the subject");
    if (!X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : subject)) fail("cannot set the issuer");
    if (!X509_set_pubkey(x.get(), key)) fail("cannot set the public key");

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
    if (p.ca) {
        // pathlen:0: the lab CA signs server certificates, never another CA.
        add_extension(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        add_extension(x.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_extension(x.get(), &ctx, NID_subject_key_identifier, "hash");
        // The subject key identifier has to be in place for "keyid" to find it.
        add_extension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    } else {
        // CA:FALSE: NSS (Thunderbird) rejects a CA certificate used as a
        // server's own, even after the user accepts an exception.
        add_extension(x.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
        // keyEncipherment: TLS 1.2 RSA key exchange encrypts with this key.
        add_extension(x.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        add_extension(x.get(), &ctx, NID_ext_key_usage, "serverAuth");
        add_extension(x.get(), &ctx, NID_subject_key_identifier, "hash");
        if (issuer) add_extension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
        GeneralNames gens = dns_general_names(p.names);
        add_address_names(gens.get(), p.addresses);
        if (X509_add1_ext_i2d(x.get(), NID_subject_alt_name, gens.get(), has_cn ? 0 : 1, X509V3_ADD_DEFAULT) != 1)
            fail("cannot add subjectAltName");
    }
    if (!X509_sign(x.get(), signer, EVP_sha256())) fail("cannot sign the certificate");
    return x;
}

PemPair to_pem(X509* x, EVP_PKEY* key) {
    Bio cert_bio(BIO_new(BIO_s_mem()));
    Bio key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio || !PEM_write_bio_X509(cert_bio.get(), x) ||
        !PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
        fail("cannot write PEM");
    return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

X509Ptr read_cert(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) fail("cannot read PEM");
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PKey read_key(std::string_view pem) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) fail("cannot read PEM");
    // A callback that gives no passphrase: without one, OpenSSL would ask on the terminal.
    return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return -1; }, nullptr));
}

}  // namespace

PemPair make_self_signed(const std::vector<std::string>& names_in, std::chrono::seconds validity) {
    Profile p;
    p.names = normalized_unique(names_in);
    if (p.names.empty()) throw std::invalid_argument("a certificate needs at least one DNS name");
    p.validity = validity;
    ERR_clear_error();
    PKey key = new_rsa_key();
    X509Ptr x = make_certificate(p, key.get(), nullptr, key.get());
    return to_pem(x.get(), key.get());
}

PemPair make_lab_ca(std::string_view hostname, std::chrono::seconds validity) {
    ERR_clear_error();
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
    const std::string prefix = "mxlab lab CA ";
    const std::size_t room = kMaxCommonName - prefix.size() - 1 - std::strlen(date);
    Profile p;
    p.common_name = prefix + std::string(hostname.substr(0, room)) + " " + date;
    p.ca = true;
    p.validity = validity;
    PKey key = new_rsa_key();
    X509Ptr x = make_certificate(p, key.get(), nullptr, key.get());
    return to_pem(x.get(), key.get());
}

PemPair issue_server_certificate(const PemPair& ca, const ServerNames& names, std::chrono::seconds validity) {
    Profile p;
    p.names = normalized_unique(names.dns);
    if (p.names.empty()) throw std::invalid_argument("a certificate needs at least one DNS name");
    p.addresses = names.addresses;
    p.validity = validity;
    ERR_clear_error();
    X509Ptr ca_cert = read_cert(ca.cert);
    PKey ca_key = read_key(ca.key);
    if (!ca_cert || !ca_key) fail("the lab CA does not parse");
    PKey key = new_rsa_key();
    X509Ptr x = make_certificate(p, key.get(), ca_cert.get(), ca_key.get());
    return to_pem(x.get(), key.get());
}

bool issued_by(std::string_view cert_pem, std::string_view ca_pem) {
    X509Ptr x = read_cert(cert_pem);
    X509Ptr ca = read_cert(ca_pem);
    bool ok = false;
    if (x && ca) {
        EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
        ok = ca_key && X509_verify(x.get(), ca_key) == 1 &&
             X509_NAME_cmp(X509_get_issuer_name(x.get()), X509_get_subject_name(ca.get())) == 0;
    }
    ERR_clear_error();  // "not issued by it" is an answer, not an error to report later
    return ok;
}

bool CertInfo::covers(const std::vector<std::string>& names) const {
    for (const auto& n : names) {
        std::string s = certificate_dns_name(n);
        if (s.empty()) continue;
        if (std::find(dns_names.begin(), dns_names.end(), s) == dns_names.end()) return false;
    }
    return true;
}

bool key_matches(std::string_view cert_pem, std::string_view key_pem) {
    X509Ptr x = read_cert(cert_pem);
    PKey key = read_key(key_pem);
    const bool match = x && key && X509_check_private_key(x.get(), key.get()) == 1;
    ERR_clear_error();  // a mismatch is an answer here, not an error to report later
    return match;
}

CertInfo inspect_certificate(std::string_view pem) {
    ERR_clear_error();
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) fail("cannot read the certificate");
    X509Ptr x(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!x) fail("no PEM certificate");

    CertInfo info;
    auto name_text = [](const X509_NAME* name) {
        Bio out(BIO_new(BIO_s_mem()));
        // RFC 2253 order and escaping, but UTF-8 left readable.
        if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
            fail("cannot print a certificate name");
        return bio_text(out.get());
    };
    info.subject = name_text(X509_get_subject_name(x.get()));
    info.issuer = name_text(X509_get_issuer_name(x.get()));

    GeneralNames gens(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens.get()); ++i) {
        const GENERAL_NAME* gen = sk_GENERAL_NAME_value(gens.get(), i);
        if (gen->type == GEN_IPADD) {
            const ASN1_OCTET_STRING* os = gen->d.iPAddress;
            const int n = ASN1_STRING_length(os);
            if (n != 4 && n != 16) continue;
            config::IpAddr a;
            a.v6 = n == 16;
            std::memcpy(a.bytes.data(), ASN1_STRING_get0_data(os), static_cast<std::size_t>(n));
            info.addresses.push_back(a.str());
            continue;
        }
        if (gen->type != GEN_DNS) continue;
        const ASN1_IA5STRING* s = gen->d.dNSName;
        info.dns_names.push_back(certificate_dns_name(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                                            static_cast<std::size_t>(ASN1_STRING_length(s)))));
    }

    info.ca = X509_check_ca(x.get()) != 0;

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!X509_digest(x.get(), EVP_sha256(), md, &len)) fail("cannot hash the certificate");
    for (unsigned int i = 0; i < len; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof hex, i + 1 < len ? "%02X:" : "%02X", md[i]);
        info.sha256 += hex;
    }

    info.not_before = to_time_point(X509_get0_notBefore(x.get()));
    info.not_after = to_time_point(X509_get0_notAfter(x.get()));
    return info;
}

}  // namespace mxlab::appliance
