// The lab CA: made once per data_dir and kept, so that a client told to trust it keeps trusting the appliance.
//
// DESIGN.md section 2 ("TLS without configuration") and `mxlab tls ca`. The
// CA lives in data_dir/tls/ca.pem (0644) and ca.key (0600); hostname, MX or
// zone changes never touch it, only the server certificate it issues
// (appliance/tls_context.hpp). It is not used when the TOML names its own
// pair (tls.cert, tls.key), or when the default tls/cert.pem is the user's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "appliance/certificates.hpp"
#include "config/config.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

std::filesystem::path lab_ca_cert_path(const config::Config& cfg);  // data_dir/tls/ca.pem
std::filesystem::path lab_ca_key_path(const config::Config& cfg);   // data_dir/tls/ca.key

// The first line of both files of a server pair mxlab issued (or, before the
// lab CA, made self-signed). It is what lets mxlab tell its own pair
// (reissued when the names change) from a user's (never written), and it
// travels with the file: a sidecar could outlive the pair it described and
// get a user's certificate overwritten. Text before a PEM block is allowed
// (RFC 7468 section 2) and OpenSSL, GnuTLS and NSS skip it.
inline constexpr std::string_view kIssuedMarker = "# mxlab lab CA";
inline constexpr std::string_view kSelfSignedMarker = "# mxlab self-signed";  // made before the lab CA
bool made_by_mxlab(const std::optional<std::string>& file_text);

// Why this config's clients do not trust the lab CA: the TOML names its own
// pair, or tls/cert.pem under data_dir is the user's. nullopt: the lab CA
// issues the server certificate.
std::optional<std::string> lab_ca_unused(const config::Config& cfg);

// The lab CA's certificate and key, read from the files, or made and written
// first (key, then certificate) when either is missing, does not parse, they
// do not belong together, or it expires within 30 days. Made and read under
// an exclusive lock on data_dir/tls/.ca.lock, so that `mxlab tls ca` and a
// starting daemon never make two. Logs "tls.ca_made" when it writes (a
// warning when a CA existed: clients must be told to trust the new one).
// Throws StartError when the files cannot be read or written.
PemPair ensure_lab_ca(const config::Config& cfg, Logger& log);

}  // namespace mxlab::appliance
