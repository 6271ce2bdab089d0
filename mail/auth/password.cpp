// Password hashing and verification over libxcrypt (crypt_rn) and OpenSSL; see password.hpp.
#include "mail/auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/ascii.hpp"

namespace mxlab::auth {
namespace {


static_assert(max_password_size + 1 == CRYPT_MAX_PASSPHRASE_SIZE);

// crypt(3)'s base-64 alphabet, in the order crypt's own salt generators use.
constexpr std::string_view crypt_alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static_assert(crypt_alphabet.size() == 64);

bool in_crypt_alphabet(char c) { return crypt_alphabet.find(c) != std::string_view::npos; }

// Which hashes a crypt scheme accepts; Dovecot's names pin the algorithm, {CRYPT} does not.
enum class Accepts { any, des, prefixes };

enum class Kind { plain, crypt, unknown, unterminated };

struct Scheme {
    std::string_view name;
    Kind kind;
    Accepts accepts = Accepts::any;
    std::array<std::string_view, 3> prefixes{};
};

// Dovecot's names for the schemes we can verify; anything else in braces never matches.
constexpr std::array<Scheme, 9> named_schemes{{
    {"PLAIN", Kind::plain},
    {"CLEARTEXT", Kind::plain},
    {"CLEAR", Kind::plain},
    {"SHA512-CRYPT", Kind::crypt, Accepts::prefixes, {"$6$"}},
    {"SHA256-CRYPT", Kind::crypt, Accepts::prefixes, {"$5$"}},
    {"BLF-CRYPT", Kind::crypt, Accepts::prefixes, {"$2y$", "$2b$", "$2a$"}},
    {"MD5-CRYPT", Kind::crypt, Accepts::prefixes, {"$1$"}},
    {"DES-CRYPT", Kind::crypt, Accepts::des},
    {"CRYPT", Kind::crypt, Accepts::any},
}};

// Bare hashes, recognised by the "$id$" prefixes that mkpasswd prints. Traditional
// DES and BSDi hashes have no such prefix and look like plain text, so they need {CRYPT}.
struct BarePrefix {
    std::string_view prefix;
    std::string_view name;
};
constexpr std::array<BarePrefix, 9> bare_prefixes{{
    {"$6$", "SHA512-CRYPT"},
    {"$5$", "SHA256-CRYPT"},
    {"$2y$", "BLF-CRYPT"},
    {"$2b$", "BLF-CRYPT"},
    {"$2a$", "BLF-CRYPT"},
    {"$y$", "yescrypt"},
    {"$gy$", "gost-yescrypt"},
    {"$7$", "scrypt"},
    {"$1$", "MD5-CRYPT"},
}};

struct Parsed {
    Kind kind = Kind::unknown;
    std::string_view name;     // canonical scheme name, or the unknown name as written
    std::string_view payload;  // the password or the crypt hash
    bool bare = false;         // a crypt hash without {SCHEME}
    const Scheme* scheme = nullptr;
};

Parsed parse(std::string_view stored) {
    if (stored.starts_with('{')) {
        const auto close = stored.find('}');
        if (close == std::string_view::npos) return {Kind::unterminated, {}, stored};
        const auto name = stored.substr(1, close - 1);
        const auto payload = stored.substr(close + 1);
        for (const auto& s : named_schemes) {
            if (iequals(name, s.name)) return {s.kind, s.name, payload, false, &s};
        }
        return {Kind::unknown, name, payload};
    }
    for (const auto& b : bare_prefixes) {
        if (stored.starts_with(b.prefix)) return {Kind::crypt, b.name, stored, true};
    }
    return {Kind::plain, "PLAIN", stored};
}

// Whether the named scheme's algorithm is the one the hash is in ("{SHA512-CRYPT}$5$…" is not).
bool scheme_accepts(const Parsed& p) {
    if (p.scheme == nullptr) return true;  // bare: the prefix chose the scheme
    switch (p.scheme->accepts) {
    case Accepts::any:
        return true;
    case Accepts::des:
        return !p.payload.starts_with('$') && !p.payload.starts_with('_');
    case Accepts::prefixes:
        return std::any_of(p.scheme->prefixes.begin(), p.scheme->prefixes.end(),
                           [&](std::string_view pre) { return !pre.empty() && p.payload.starts_with(pre); });
    }
    return false;
}

// A std::string whose bytes are wiped when it goes: the NUL-terminated copy of a password.
class SecretString {
public:
    explicit SecretString(std::string_view s) : s_(s) {}
    SecretString(const SecretString&) = delete;
    SecretString& operator=(const SecretString&) = delete;
    ~SecretString() { OPENSSL_cleanse(s_.data(), s_.size()); }
    const char* c_str() const { return s_.c_str(); }

private:
    std::string s_;
};

// libxcrypt's per-call state: about 32 KiB, so on the heap (coroutine frames and
// small thread stacks); zeroed before first use as crypt_rn requires, and wiped
// afterwards because it holds password-derived intermediate values.
class CryptState {
public:
    CryptState() : data_(std::make_unique<crypt_data>()) {}
    CryptState(const CryptState&) = delete;
    CryptState& operator=(const CryptState&) = delete;
    ~CryptState() { OPENSSL_cleanse(data_.get(), sizeof(crypt_data)); }
    crypt_data* get() { return data_.get(); }

private:
    std::unique_ptr<crypt_data> data_;
};

// crypt_rn(phrase, setting), or nullopt when it fails. crypt_rn returns NULL on
// failure and leaves a "*0"/"*1" failure token in the output; the token is never
// returned from here, so it can never be compared with a stored value.
std::optional<std::string> crypt_hash(std::string_view phrase, std::string_view setting) {
    if (phrase.find('\0') != std::string_view::npos || phrase.size() > max_password_size) return std::nullopt;
    if (setting.empty() || setting.find('\0') != std::string_view::npos || setting.size() >= CRYPT_OUTPUT_SIZE) {
        return std::nullopt;
    }
    const SecretString phrase_z(phrase);
    const std::string setting_z(setting);
    CryptState state;
    const char* out = crypt_rn(phrase_z.c_str(), setting_z.c_str(), state.get(), sizeof(crypt_data));
    if (out == nullptr || out[0] == '*' || out[0] == '\0') return std::nullopt;
    return std::string(out);
}

bool crypt_matches(std::string_view hash, std::string_view password) {
    // A failure token as the stored hash must not match either (crypt_rn answers
    // "*0" with "*1" and vice versa, but we do not rely on that).
    if (hash.starts_with('*')) return false;
    const auto out = crypt_hash(password, hash);
    return out && out->size() == hash.size() && CRYPTO_memcmp(out->data(), hash.data(), hash.size()) == 0;
}

// Whether some password could produce exactly `hash`: crypt must accept it as a
// setting and echo that setting back unchanged (libxcrypt silently truncates
// long SHA-crypt salts and normalises bcrypt salts, and ignores whatever follows
// the setting), followed by a hash part of the right length in crypt's alphabet.
bool crypt_well_formed(std::string_view hash) {
    if (hash.starts_with('*')) return false;
    const auto out = crypt_hash("mxlab-check-probe", hash);
    if (!out || out->size() != hash.size()) return false;
    std::size_t setting_len = 0;
    if (out->starts_with("$2")) {
        setting_len = out->size() - 31;  // bcrypt: the salt and the hash share the last field; the hash is 31 chars
    } else if (out->starts_with('$')) {
        setting_len = out->rfind('$') + 1;
    } else if (out->starts_with('_')) {
        setting_len = 9;  // BSDi: "_", 4 chars of rounds, 4 of salt
    } else {
        setting_len = 2;  // traditional DES: 2 chars of salt
    }
    if (setting_len >= hash.size()) return false;
    if (hash.substr(0, setting_len) != std::string_view(*out).substr(0, setting_len)) return false;
    const auto hash_part = hash.substr(setting_len);
    return std::all_of(hash_part.begin(), hash_part.end(), in_crypt_alphabet);
}

// Plain-text comparison in time independent of where the strings differ and of
// the stored length: compare SHA-256 digests, which have a fixed size.
bool plain_matches(std::string_view stored, std::string_view password) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> a{}, b{};
    unsigned int a_len = 0, b_len = 0;
    const bool ok = EVP_Digest(stored.data(), stored.size(), a.data(), &a_len, EVP_sha256(), nullptr) == 1 &&
                    EVP_Digest(password.data(), password.size(), b.data(), &b_len, EVP_sha256(), nullptr) == 1 &&
                    a_len == b_len;
    const bool equal = ok && CRYPTO_memcmp(a.data(), b.data(), a_len) == 0;
    OPENSSL_cleanse(a.data(), a.size());
    OPENSSL_cleanse(b.data(), b.size());
    return equal;
}

// A scheme name as written, fit for an error message: no control bytes, bounded length.
std::string printable(std::string_view s) {
    constexpr std::size_t limit = 40;
    std::string out;
    for (const char c : s.substr(0, limit)) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u < 0x7f) {
            out += c;
        } else {
            constexpr std::string_view hex = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        }
    }
    if (s.size() > limit) out += "...";
    return out;
}

// `n` characters of crypt's alphabet from OpenSSL's generator: a salt, or a decoy's password.
std::string random_crypt_chars(std::size_t n) {
    std::string random(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(random.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("cannot make a password salt: OpenSSL RAND_bytes failed");
    }
    // 256 is a multiple of 64, so the low 6 bits of a uniform byte are uniform.
    for (char& c : random) c = crypt_alphabet[static_cast<unsigned char>(c) & 0x3f];
    return random;
}

// ---- The cost model of verify_cost ----
//
// Microseconds per unit of each scheme's work factor: the best of 7 runs of
// crypt_rn, libxcrypt 4.4 (Debian 12), one x86-64 core. Only the order of two
// hashes' costs matters, and each scheme's cost grows with its own factor.
constexpr double us_per_sha256_round = 0.33;    // $5$: 5000 rounds by default, 1666 us
constexpr double us_per_sha512_round = 0.25;    // $6$: 5000 rounds by default, 1234 us
constexpr double us_per_bcrypt_unit = 50;       // $2?$: 2^cost units; cost 5, 1668 us
constexpr double us_per_scrypt_unit = 0.30;     // $7$: N·r·p units; mkpasswd's default 2^14·32, ~160 ms
constexpr double us_per_yescrypt_unit = 0.145;  // $y$, $gy$: N·r·p units; mkpasswd's default 2^12·32, 18.8 ms
constexpr double us_per_bsdi_round = 0.12;      // _: a 24-bit count
constexpr double us_md5_crypt = 105;            // $1$: always 1000 MD5 rounds
constexpr double us_des_crypt = 5;              // 25 DES rounds
// Any other {CRYPT} hash (SunMD5, NetBSD's $sha1$, NT): too rare in a lab to
// model; assumed to cost what a default SHA512-CRYPT hash does.
constexpr double us_other_crypt = 5000 * us_per_sha512_round;

int crypt_digit(char c) {
    const auto i = crypt_alphabet.find(c);
    return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// Digits of crypt's alphabet, least significant first (scrypt's r and p, BSDi's count).
std::optional<std::uint64_t> little_endian_digits(std::string_view s, std::size_t n) {
    if (s.size() < n) return std::nullopt;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int d = crypt_digit(s[i]);
        if (d < 0) return std::nullopt;
        v |= static_cast<std::uint64_t>(d) << (6 * i);
    }
    return v;
}

// yescrypt's variable-length number (libxcrypt yescrypt-common.c, decode64_uint32):
// the first digit's range says how many digits follow. Consumes what it reads.
std::optional<std::uint64_t> yescrypt_number(std::string_view& s, std::uint64_t min) {
    if (s.empty() || crypt_digit(s[0]) < 0) return std::nullopt;
    const auto c = static_cast<std::uint64_t>(crypt_digit(s[0]));
    s.remove_prefix(1);
    std::uint64_t value = min, start = 0, end = 47, chars = 1, bits = 0;
    while (c > end) {
        value += (end + 1 - start) << bits;
        start = end + 1;
        end = start + (62 - end) / 2;
        ++chars;
        bits += 6;
    }
    value += (c - start) << bits;
    while (--chars) {
        if (s.empty() || crypt_digit(s[0]) < 0) return std::nullopt;
        bits -= 6;
        value += static_cast<std::uint64_t>(crypt_digit(s[0])) << bits;
        s.remove_prefix(1);
    }
    return value;
}

// N·r·p of a yescrypt setting after "$y$" or "$gy$": flavor, log2 N, r, then
// optionally which of p, t, g follow. t adds passes over the same memory.
double yescrypt_units(std::string_view s) {
    const auto flavor = yescrypt_number(s, 0);
    const auto n_log2 = yescrypt_number(s, 1);
    const auto r = yescrypt_number(s, 1);
    if (!flavor || !n_log2 || !r || *n_log2 > 40) return 0;
    double units = std::ldexp(static_cast<double>(*r), static_cast<int>(*n_log2));
    if (!s.empty() && s[0] != '$') {
        const auto have = yescrypt_number(s, 1);
        if (!have) return 0;
        if (*have & 1) {
            const auto p = yescrypt_number(s, 2);
            if (!p) return 0;
            units *= static_cast<double>(*p);
        }
        if (*have & 2) {
            const auto t = yescrypt_number(s, 1);
            if (!t) return 0;
            units *= static_cast<double>(*t + 1);
        }
    }
    return units;
}

// SHA-crypt's "rounds=N$", clamped as libxcrypt clamps it.
double sha_crypt_rounds(std::string_view after_id) {
    constexpr std::string_view key = "rounds=";
    if (!after_id.starts_with(key)) return 5000;
    after_id.remove_prefix(key.size());
    double rounds = 0;
    for (const char c : after_id) {
        if (c < '0' || c > '9') break;
        rounds = std::min(rounds * 10 + (c - '0'), 1e10);
    }
    return std::clamp(rounds, 1000.0, 999999999.0);
}

double crypt_cost(std::string_view hash) {
    if (hash.starts_with("$6$")) return us_per_sha512_round * sha_crypt_rounds(hash.substr(3));
    if (hash.starts_with("$5$")) return us_per_sha256_round * sha_crypt_rounds(hash.substr(3));
    if (hash.starts_with("$1$")) return us_md5_crypt;
    if (hash.starts_with("$2") && hash.size() >= 7 && hash[3] == '$') {
        const int a = hash[4] - '0', b = hash[5] - '0';
        if (a < 0 || a > 9 || b < 0 || b > 9) return 0;
        return us_per_bcrypt_unit * std::ldexp(1.0, std::min(a * 10 + b, 31));
    }
    if (hash.starts_with("$y$")) return us_per_yescrypt_unit * yescrypt_units(hash.substr(3));
    if (hash.starts_with("$gy$")) return us_per_yescrypt_unit * yescrypt_units(hash.substr(4));
    if (hash.starts_with("$7$") && hash.size() >= 14) {
        const int n_log2 = crypt_digit(hash[3]);
        const auto r = little_endian_digits(hash.substr(4), 5);
        const auto p = little_endian_digits(hash.substr(9), 5);
        if (n_log2 < 1 || !r || !p) return 0;
        return us_per_scrypt_unit * std::ldexp(static_cast<double>(*r) * static_cast<double>(*p), n_log2);
    }
    if (hash.starts_with('_')) {
        const auto count = little_endian_digits(hash.substr(1), 4);
        return count ? us_per_bsdi_round * static_cast<double>(*count) : 0;
    }
    if (hash.starts_with('$')) return us_other_crypt;
    return hash.starts_with('*') ? 0 : us_des_crypt;
}

}  // namespace

std::string hash_password(std::string_view password) {
    if (password.empty()) throw std::invalid_argument("empty password");
    if (password.find('\0') != std::string_view::npos) throw std::invalid_argument("password contains a NUL byte");
    if (password.size() > max_password_size) {
        throw std::invalid_argument("password longer than " + std::to_string(max_password_size) + " bytes");
    }
    const std::string setting = "$6$" + random_crypt_chars(16);
    const auto out = crypt_hash(password, setting);
    if (!out) throw std::runtime_error("cannot hash the password: crypt_rn failed for SHA512-CRYPT");
    return "{SHA512-CRYPT}" + *out;
}

bool verify_password(std::string_view stored, std::string_view password) {
    if (password.empty() || password.find('\0') != std::string_view::npos) return false;
    const auto p = parse(stored);
    switch (p.kind) {
    case Kind::plain:
        return !p.payload.empty() && plain_matches(p.payload, password);
    case Kind::crypt:
        return scheme_accepts(p) && crypt_matches(p.payload, password);
    case Kind::unknown:
    case Kind::unterminated:
        return false;
    }
    return false;
}

double verify_cost(std::string_view stored) {
    const auto p = parse(stored);
    if (p.kind == Kind::crypt) return scheme_accepts(p) ? crypt_cost(p.payload) : 0;
    return 0;  // plain text is two SHA-256 digests: well under a microsecond
}

std::optional<std::string> make_decoy(std::string_view stored) {
    // 32 characters of a 64-letter alphabet: 192 bits, never guessed.
    const std::string password = random_crypt_chars(32);
    const auto p = parse(stored);
    if (p.kind != Kind::crypt || !scheme_accepts(p)) return "{PLAIN}" + password;
    if (p.payload.starts_with('*')) return std::nullopt;
    auto out = crypt_hash(password, p.payload);
    if (!out) return std::nullopt;
    // {CRYPT}: a traditional DES or BSDi hash has no "$id$" to be recognised by.
    return "{CRYPT}" + *out;
}

std::string check_stored_password(std::string_view stored) {
    const auto p = parse(stored);
    switch (p.kind) {
    case Kind::plain:
        if (p.payload.empty()) return "empty password";
        if (p.payload.find('\0') != std::string_view::npos) return "password contains a NUL byte";
        return {};
    case Kind::crypt:
        if (scheme_accepts(p) && crypt_well_formed(p.payload)) return {};
        if (p.bare) {
            return "malformed " + std::string(p.name) + " hash (for a plain-text password that starts with '" +
                   std::string(p.payload.substr(0, p.payload.find('$', 1) + 1)) + "', write {PLAIN} before it)";
        }
        return "malformed " + std::string(p.name) + " hash";
    case Kind::unknown:
        return "unknown scheme {" + printable(p.name) + "}";
    case Kind::unterminated:
        return "unterminated {SCHEME} (for a plain-text password that starts with '{', write {PLAIN} before it)";
    }
    return "unusable password";
}

std::string_view password_scheme(std::string_view stored) {
    const auto p = parse(stored);
    switch (p.kind) {
    case Kind::plain:
        return "PLAIN";  // {CLEARTEXT} and {CLEAR} are Dovecot's other names for it
    case Kind::crypt:
        return p.name;
    case Kind::unknown:
    case Kind::unterminated:
        return {};
    }
    return {};
}

}  // namespace mxlab::auth
