// Password hashing and verification over libxcrypt (crypt_rn) and OpenSSL; see password.hpp.
#include "mail/auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <stdexcept>

#include "config/ascii.hpp"

namespace mxlab::auth {
namespace {

using config::iequals;

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

}  // namespace

std::string hash_password(std::string_view password) {
    if (password.empty()) throw std::invalid_argument("empty password");
    if (password.find('\0') != std::string_view::npos) throw std::invalid_argument("password contains a NUL byte");
    if (password.size() > max_password_size) {
        throw std::invalid_argument("password longer than " + std::to_string(max_password_size) + " bytes");
    }
    std::array<unsigned char, 16> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("cannot make a password salt: OpenSSL RAND_bytes failed");
    }
    std::string setting = "$6$";
    // 256 is a multiple of 64, so the low 6 bits of a uniform byte are uniform.
    for (const unsigned char r : random) setting += crypt_alphabet[r & 0x3f];
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
