// Password hashes for [domain.users]: make one for `mxlab passwd`, check one at config load, verify a login.
//
// Stored forms are those Dovecot's `doveadm pw` and `mkpasswd` print, so a lab
// can paste hashes from either tool (or from a Dovecot passwd-file) into the TOML:
//
//   bob123                          plain text: no "{" prefix and not a bare crypt hash
//   {PLAIN}x {CLEARTEXT}x {CLEAR}x  plain text, spelled out (needed when x starts with "{" or "$")
//   {SHA512-CRYPT}$6$…  {SHA256-CRYPT}$5$…  {BLF-CRYPT}$2y$|$2b$|$2a$…
//   {MD5-CRYPT}$1$…  {DES-CRYPT}<13 chars>                   (Dovecot's weaker crypt schemes)
//   {CRYPT}<any crypt(3) hash libxcrypt knows>
//   $6$… $5$… $2b$… $2y$… $2a$… $y$… $gy$… $7$… $1$…         a bare hash, as mkpasswd prints it
//
// Scheme names are case-insensitive, as in Dovecot. A value that begins with one
// of the bare "$id$" prefixes is always taken as a hash, never as plain text, so
// that a pasted hash with a typo is reported rather than silently becoming a
// plain-text password that nobody can type. Verification never throws, takes
// constant time in the compared bytes (CRYPTO_memcmp), and is thread-safe
// (libxcrypt's crypt_rn with per-call state, never crypt()).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mxlab::auth {

// The longest password libxcrypt hashes (CRYPT_MAX_PASSPHRASE_SIZE less the NUL).
inline constexpr std::size_t max_password_size = 511;

// A hash for the TOML: "{SHA512-CRYPT}$6$<16 random salt chars>$<86 chars>", the
// default 5000 rounds, as `doveadm pw -s SHA512-CRYPT` makes. The salt comes
// from OpenSSL RAND_bytes in the crypt alphabet ./0-9A-Za-z.
// Throws std::invalid_argument for a password that can never log in (empty,
// containing NUL, longer than max_password_size), with a message for the user;
// std::runtime_error if the random generator or crypt fails.
std::string hash_password(std::string_view password);

// True when `password` matches `stored` (any form above). Never true for an
// empty password, a password containing NUL, an unknown {SCHEME}, an empty or
// malformed stored value, or crypt's "*0"/"*1" failure tokens.
bool verify_password(std::string_view stored, std::string_view password);

// Why `stored` can never match any password, for `mxlab check` to report
// against the user's line ("unknown scheme {FOO}", "malformed SHA512-CRYPT
// hash", "empty password"); empty when it is usable. A crypt hash is checked by
// hashing a probe with its setting, so this costs about one login.
std::string check_stored_password(std::string_view stored);

// What one verify_password(stored, ·) costs, in microseconds on one x86-64
// core, estimated from the scheme and the work factor the value carries
// (SHA-crypt rounds, bcrypt's cost, yescrypt's and scrypt's N·r·p), never by
// hashing: cheap, and the same on every run. Good for telling which of two
// hashes is the slower one; not a clock. 0 for a value that never hashes
// (unknown scheme, a scheme name that does not match its hash).
double verify_cost(std::string_view stored);

// A value for an unknown login to be checked against, costing what `stored`
// costs: for a crypt hash, crypt's output for a random password with
// `stored`'s setting (its scheme, work factor and salt), so no password a
// client sends matches it; for any other value a random plain text. nullopt
// when crypt refuses the setting (a malformed hash fails at once, so it is no
// decoy). Costs one hash.
std::optional<std::string> make_decoy(std::string_view stored);

// The scheme `stored` is in: "PLAIN" for every plain-text form, the Dovecot
// name for the crypt schemes ("SHA512-CRYPT", "BLF-CRYPT", "CRYPT", ...) or the
// mkpasswd name of a bare hash Dovecot has no name for ("yescrypt",
// "gost-yescrypt", "scrypt"); empty for an unknown or unterminated {SCHEME}.
// Cheap (no hashing): for summaries and for refusing plain text where it matters.
std::string_view password_scheme(std::string_view stored);

}  // namespace mxlab::auth
