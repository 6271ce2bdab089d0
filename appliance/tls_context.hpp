// The TLS server context the mail listeners share: SMTP STARTTLS (587, 25) and implicit TLS (465), later POP3/IMAP.
//
// Reads [tls] cert and key (DESIGN.md sections 2 and 3). Without them in the
// TOML the lab CA (appliance/lab_ca.hpp) issues a pair for every name a
// client may use (appliance/cert_names.hpp) at the defaults under data_dir,
// and issues a new one when the names change; a pair the TOML names is only
// ever read, and a missing one is an error. TLS 1.2 is the minimum (RFC 8996
// deprecates 1.0 and 1.1), with forward-secret AEAD suites only.
//
// Include this header only where a context is built or handed to a stream:
// it pulls in Boost.Asio's ssl, which is slow to compile.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "appliance/certificates.hpp"
#include "config/config.hpp"
#include "dns/zone_set.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

// Makes sure cfg.tls.cert and cfg.tls.key hold a pair to load. An explicit
// pair (explicit_tls, appliance/check.hpp) is never written: a missing file
// throws StartError with missing_tls_files' message. Otherwise the lab CA
// (made first if need be) issues a pair for `names` and it is written (key
// 0600, cert 0644, each atomically; the folder is created) when:
//   - both files are missing;
//   - the pair is mxlab's own (its files start with kIssuedMarker, or the
//     older kSelfSignedMarker) and was not issued by the lab CA, names other
//     DNS names or addresses than `names`, has expired or expires within 30
//     days, does not parse, or its two files do not belong together (a write
//     interrupted half way);
//   - only one file exists and it is mxlab's own (the same interruption).
// A user's file is never written, and then no lab CA is made. Throws
// StartError when only one file exists and it is the user's, naming the
// missing one. Logs "tls.issued" with the paths, issuer, names, addresses
// and reason when it writes.
void ensure_tls_files(const config::Config& cfg, const ServerNames& names, Logger& log);

// Loads cfg.tls.cert (the server's certificate, then any chain certificates)
// and cfg.tls.key (PEM, unencrypted) into a new server context: TLS 1.2 or
// later, no compression, no renegotiation, the server's cipher order; for
// TLS 1.2 Mozilla's "intermediate" suites (ECDHE and DHE with AES-GCM or
// ChaCha20-Poly1305), for TLS 1.3 and the groups OpenSSL's defaults. Writes
// nothing: `mxlab check` can use it on existing files. Throws StartError
// naming the file and the problem (unreadable, no certificate, encrypted key,
// "tls.key ... does not match tls.cert ...").
std::shared_ptr<asio::ssl::context> load_tls_context(const config::Config& cfg);

// ensure_tls_files for certificate_names(cfg, zones) (zones null: the
// hostname, MX hosts and addresses only), then load_tls_context, then logs
// "tls.loaded" (subject, issuer, names, addresses, sha256 fingerprint,
// expiry, whether the lab CA issued it) and
// warns "tls.names_not_covered" / "tls.expired" for a user's certificate that
// does not match the appliance's names or has expired (a lab still works
// with it; clients will complain).
//
// Build it once at start and hand the same context to every TLS listener; to
// pick up a new certificate or hostname on reload, build a new one and swap
// the shared_ptr (each session keeps its own copy of the pointer alive for as
// long as its stream lives).
std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& cfg, Logger& log,
                                                     const dns::ZoneSet* zones = nullptr);

// What the context's certificate says (for logs and the status page).
CertInfo certificate_info(asio::ssl::context& ctx);

}  // namespace mxlab::appliance
