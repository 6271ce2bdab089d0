// The TLS server context the mail listeners share: SMTP STARTTLS (587, 25) and implicit TLS (465), later POP3/IMAP.
//
// Reads [tls] cert and key (DESIGN.md section 3). Without them in the TOML a
// self-signed pair for the appliance's names is made at the defaults under
// data_dir, and remade when the names change; a pair the TOML names is only
// ever read, and a missing one is an error. TLS 1.2 is the minimum (RFC 8996
// deprecates 1.0 and 1.1), with forward-secret AEAD suites only.
//
// Include this header only where a context is built or handed to a stream:
// it pulls in Boost.Asio's ssl, which is slow to compile.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "appliance/self_signed.hpp"
#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

// The names a client may reach the mail services by, in certificate order:
// appliance.hostname, then the mx of every domain with mail = true, without
// duplicates.
std::vector<std::string> tls_names(const config::Config& cfg);

// Makes sure cfg.tls.cert and cfg.tls.key hold a pair to load. An explicit
// pair (explicit_tls, appliance/check.hpp) is never written: a missing file
// throws StartError with missing_tls_files' message. Otherwise it writes a
// self-signed pair (key 0600, cert 0644, each written atomically; the folder
// is created) when:
//   - both files are missing;
//   - the pair is mxlab's own (its files start with a "# mxlab self-signed"
//     line) and no longer covers tls_names(cfg) (hostname or an mx changed),
//     has expired or expires within 30 days, does not parse, or its two
//     files do not belong together (a write interrupted half way);
//   - only one file exists and it is mxlab's own (the same interruption).
// A user's file is never written. Throws StartError when only one file exists
// and it is the user's, naming the missing one. Logs "tls.self_signed" with
// the paths, names and reason when it writes.
void ensure_tls_files(const config::Config& cfg, Logger& log);

// Loads cfg.tls.cert (the server's certificate, then any chain certificates)
// and cfg.tls.key (PEM, unencrypted) into a new server context: TLS 1.2 or
// later, no compression, no renegotiation, the server's cipher order; for
// TLS 1.2 Mozilla's "intermediate" suites (ECDHE and DHE with AES-GCM or
// ChaCha20-Poly1305), for TLS 1.3 and the groups OpenSSL's defaults. Writes
// nothing: `mxlab check` can use it on existing files. Throws StartError
// naming the file and the problem (unreadable, no certificate, encrypted key,
// "tls.key ... does not match tls.cert ...").
std::shared_ptr<asio::ssl::context> load_tls_context(const config::Config& cfg);

// ensure_tls_files, then load_tls_context, then logs "tls.loaded" (subject,
// names, sha256 fingerprint, expiry, whether it is self-signed by mxlab) and
// warns "tls.names_not_covered" / "tls.expired" for a user's certificate that
// does not match the appliance's names or has expired (a lab still works
// with it; clients will complain).
//
// Build it once at start and hand the same context to every TLS listener; to
// pick up a new certificate or hostname on reload, build a new one and swap
// the shared_ptr (each session keeps its own copy of the pointer alive for as
// long as its stream lives).
std::shared_ptr<asio::ssl::context> make_tls_context(const config::Config& cfg, Logger& log);

// What the context's certificate says (for logs and the status page).
CertInfo certificate_info(asio::ssl::context& ctx);

}  // namespace mxlab::appliance
