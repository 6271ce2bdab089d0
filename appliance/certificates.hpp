// Making certificates (the lab CA, server certificates it issues, self-signed pairs) and a look inside any PEM certificate.
//
// Pure OpenSSL 3 (libcrypto), no Asio: appliance/lab_ca.cpp and
// appliance/tls_context.cpp decide when a pair is made and where it is
// written; this file only makes and reads them. Certificates follow RFC 5280
// (X.509 v3 profile) and RFC 6125 (server names are subjectAltName dNSName
// entries, addresses iPAddress entries; clients ignore the CN when SANs exist).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace mxlab::appliance {

// An OpenSSL failure, with OpenSSL's own error text ("what: reason (lib)").
class OpenSslError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A certificate and its private key, PEM-encoded (RFC 7468).
struct PemPair {
    std::string cert;  // "-----BEGIN CERTIFICATE-----" ...
    std::string key;   // "-----BEGIN PRIVATE KEY-----" (PKCS#8, unencrypted) ...
};

// Makes an RSA 2048 key and a certificate signed by it, valid from an hour ago
// (clock skew between lab machines) for `validity`: CN = names[0], one
// subjectAltName DNS entry per name (lower-cased, trailing dot dropped,
// duplicates and empty names skipped, first occurrence's order kept).
// Throws std::invalid_argument when no name is left, OpenSslError otherwise.
PemPair make_self_signed(const std::vector<std::string>& names,
                         std::chrono::seconds validity = std::chrono::days(3650));

// RSA 2048 everywhere rather than EC P-256: every client a lab meets handles
// RSA, including TLS stacks that predate ECDSA certificates (older Outlook and
// Windows Schannel builds, old Java and embedded clients) and clients that
// offer only RSA key exchange in TLS 1.2.

// The lab's certificate authority: a self-signed RSA 2048 certificate with
// CN "mxlab lab CA HOSTNAME YYYY-MM-DD" (so students can tell two labs' CAs
// apart in a trust store; the hostname is cut to fit the 64-character CN),
// basicConstraints CA:TRUE, pathlen:0 (critical), keyUsage keyCertSign and
// cRLSign (critical), subject and authority key identifiers, valid from an
// hour ago for `validity`. Throws OpenSslError.
PemPair make_lab_ca(std::string_view hostname, std::chrono::seconds validity = std::chrono::days(3650));

// What a server certificate is issued for.
struct ServerNames {
    std::vector<std::string> dns;           // the first one is also the CN
    std::vector<config::IpAddr> addresses;  // iPAddress entries
};

// A new RSA 2048 key and a certificate for it signed by `ca` (its cert and
// key): CN = dns[0], subjectAltName with every name (normalized as
// make_self_signed does) and address, basicConstraints CA:FALSE,
// keyUsage digitalSignature and keyEncipherment, extendedKeyUsage serverAuth,
// subject and authority key identifiers; valid from an hour ago for
// `validity`. The default stays under the 825 days Apple's clients accept
// from any CA, a private one included. Throws std::invalid_argument when
// there is no DNS name, OpenSslError otherwise (a CA that does not parse).
PemPair issue_server_certificate(const PemPair& ca, const ServerNames& names,
                                 std::chrono::seconds validity = std::chrono::days(824));

// True when the first certificate in `cert_pem` is signed by the key of the
// first certificate in `ca_pem` and names it as its issuer.
bool issued_by(std::string_view cert_pem, std::string_view ca_pem);

// What a certificate says, for logs, for deciding whether it still covers the
// appliance's names, and for tests.
struct CertInfo {
    std::string subject;                 // one line, RFC 2253 style: "CN=mail.sina.com"
    std::string issuer;
    std::vector<std::string> dns_names;  // subjectAltName dNSName entries, lower case, as in the certificate
    std::vector<std::string> addresses;  // subjectAltName iPAddress entries, as IpAddr::str() writes them
    bool ca = false;                     // basicConstraints CA:TRUE
    std::string sha256;                  // "AB:CD:...": what `openssl x509 -fingerprint -sha256` and mail clients show
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;

    bool valid_at(std::chrono::system_clock::time_point t) const { return not_before <= t && t <= not_after; }
    // True when every name is a dNSName entry (exact, case-insensitive; no
    // wildcard matching: a generated certificate never has wildcards).
    bool covers(const std::vector<std::string>& names) const;
};

// The first certificate in `pem` (text outside the PEM blocks is ignored:
// RFC 7468 section 2 lets it be there). Throws OpenSslError when there is none or it does not parse.
CertInfo inspect_certificate(std::string_view pem);

// True when `key_pem` holds the private key of the first certificate in
// `cert_pem`; false when they differ or either does not parse. An encrypted
// key is never decrypted (no passphrase prompt): it does not match.
bool key_matches(std::string_view cert_pem, std::string_view key_pem);

// A DNS name as certificates and clients compare it: lower case, no trailing dot.
std::string certificate_dns_name(std::string_view name);

// Drains this thread's OpenSSL error queue into one line ("" when empty).
std::string openssl_error_text();

}  // namespace mxlab::appliance
