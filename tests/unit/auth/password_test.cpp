// Tests for mail/auth/password: hashing, every stored form, malformed values, and vectors from doveadm pw and mkpasswd.
#include "mail/auth/password.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mxlab::auth {
namespace {

using namespace std::string_literals;

constexpr std::string_view alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// A password that differs from `pw` in the low bit of its first byte: DES reads
// only the low 7 bits of the first 8 bytes and bcrypt only the first 72 bytes,
// so a change at the end would not make a wrong password for them.
std::string other_password(std::string_view pw) {
    std::string s(pw);
    s[0] = static_cast<char>(s[0] ^ 0x01);
    return s;
}

struct Vector {
    std::string password;
    std::string stored;
    int line = 0;
};

struct VectorFile {
    std::vector<Vector> vectors;
    std::vector<std::string> sections;  // the "# <command>" lines that head each group
};

VectorFile load_vectors() {
    const std::string path = MXLAB_SOURCE_DIR "/tests/unit/auth/password_vectors.txt";
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    VectorFile file;
    std::string text;
    bool after_blank = false;
    for (int n = 1; std::getline(in, text); ++n) {
        if (text.empty()) {
            after_blank = true;
            continue;
        }
        if (text.starts_with('#')) {
            if (after_blank) file.sections.push_back(text);
            after_blank = false;
            continue;
        }
        after_blank = false;
        const auto tab = text.find('\t');
        if (tab == std::string::npos || text.find('\t', tab + 1) != std::string::npos) {
            throw std::runtime_error(path + ":" + std::to_string(n) + ": want password<TAB>stored");
        }
        file.vectors.push_back({text.substr(0, tab), text.substr(tab + 1), n});
    }
    return file;
}

// ---- hash_password ----

TEST(HashPassword, IsSha512CryptWithSixteenSaltChars) {
    const auto h = hash_password("secret");
    const std::string_view prefix = "{SHA512-CRYPT}$6$";
    ASSERT_TRUE(h.starts_with(prefix)) << h;
    // "$6$" + 16 salt + "$" + 86 hash chars, and no "rounds=": doveadm's default form.
    ASSERT_EQ(h.size(), prefix.size() + 16 + 1 + 86) << h;
    const auto salt = std::string_view(h).substr(prefix.size(), 16);
    const auto hash = std::string_view(h).substr(prefix.size() + 17);
    EXPECT_EQ(h[prefix.size() + 16], '$');
    EXPECT_TRUE(std::all_of(salt.begin(), salt.end(), [](char c) { return alphabet.find(c) != alphabet.npos; })) << salt;
    EXPECT_TRUE(std::all_of(hash.begin(), hash.end(), [](char c) { return alphabet.find(c) != alphabet.npos; })) << hash;
    EXPECT_EQ(check_stored_password(h), "");
    EXPECT_EQ(password_scheme(h), "SHA512-CRYPT");
}

TEST(HashPassword, RoundTrips) {
    std::string every_byte;
    for (int c = 1; c < 256; ++c) every_byte += static_cast<char>(c);
    const std::vector<std::string> passwords = {
        "secret", "x", "correct horse battery staple", "pässwörd-日本語", "{PLAIN}x", "$6$notahash",
        " leading and trailing spaces ", every_byte, std::string(max_password_size, 'a'),
    };
    for (const auto& pw : passwords) {
        const auto h = hash_password(pw);
        EXPECT_TRUE(verify_password(h, pw)) << pw;
        EXPECT_EQ(check_stored_password(h), "") << h;
    }
}

TEST(HashPassword, WrongPasswordIsRejected) {
    const auto h = hash_password("secret");
    for (const auto* wrong : {"Secret", "secre", "secret ", " secret", "secretsecret", "s", "wrong", "{PLAIN}secret", h.c_str()}) {
        EXPECT_FALSE(verify_password(h, wrong)) << wrong;
    }
}

TEST(HashPassword, SaltsDiffer) {
    std::set<std::string> salts;
    std::set<std::string> hashes;
    constexpr int count = 8;
    for (int i = 0; i < count; ++i) {
        const auto h = hash_password("secret");
        hashes.insert(h);
        salts.insert(h.substr(std::string_view("{SHA512-CRYPT}$6$").size(), 16));
    }
    EXPECT_EQ(salts.size(), count);
    EXPECT_EQ(hashes.size(), count);
}

TEST(HashPassword, RefusesPasswordsThatCouldNeverLogIn) {
    EXPECT_THROW(hash_password(""), std::invalid_argument);
    EXPECT_THROW(hash_password("sec\0ret"s), std::invalid_argument);
    EXPECT_THROW(hash_password("\0"s), std::invalid_argument);
    EXPECT_THROW(hash_password(std::string(max_password_size + 1, 'a')), std::invalid_argument);
}

// ---- verify_password: each stored form ----

TEST(VerifyPassword, PlainTextForms) {
    for (const auto* stored : {"bob123", "{PLAIN}bob123", "{CLEARTEXT}bob123", "{CLEAR}bob123"}) {
        EXPECT_TRUE(verify_password(stored, "bob123")) << stored;
        EXPECT_EQ(check_stored_password(stored), "") << stored;
        EXPECT_EQ(password_scheme(stored), "PLAIN") << stored;
        for (const auto* wrong : {"bob12", "bob1234", "Bob123", "bob123 ", "{PLAIN}bob123", "x"}) {
            EXPECT_FALSE(verify_password(stored, wrong)) << stored << " / " << wrong;
        }
    }
    // {PLAIN} is how a password that looks like a scheme or a hash is written.
    EXPECT_TRUE(verify_password("{PLAIN}{FOO}bar", "{FOO}bar"));
    EXPECT_TRUE(verify_password("{PLAIN}$6$abc", "$6$abc"));
    EXPECT_TRUE(verify_password("{PLAIN}{PLAIN}x", "{PLAIN}x"));
    EXPECT_FALSE(verify_password("{PLAIN}{PLAIN}x", "x"));
    // A '$' that starts no crypt prefix, or a '{' later on, is plain text.
    EXPECT_TRUE(verify_password("$ecret", "$ecret"));
    EXPECT_TRUE(verify_password("$3cret$", "$3cret$"));
    EXPECT_TRUE(verify_password("pass{word}", "pass{word}"));
    EXPECT_TRUE(verify_password("*0", "*0"));  // plain text, not a failure token: nothing is hashed
    EXPECT_TRUE(verify_password("pässwörd-日本語", "pässwörd-日本語"));
    EXPECT_FALSE(verify_password("pässwörd-日本語", "passwort-日本語"));
    const std::string long_plain(2000, 'z');  // plain text has no crypt length limit
    EXPECT_TRUE(verify_password(long_plain, long_plain));
    EXPECT_FALSE(verify_password(long_plain, long_plain + "z"));
}

struct SchemeCase {
    const char* stored;
    const char* password;
    const char* scheme;  // password_scheme()
};

// One hash per scheme and prefix, as the tools printed them (password "secret").
const std::vector<SchemeCase> scheme_cases = {
    {"{SHA512-CRYPT}$6$e2Ui3VEBo4z6h6Fc$Bm2XVE9AwMw1TLj17Q62yx.NsNNmLZjEYqRL9s6DEwITCmWt7SqVMj1gqXSpQGZoHmbrTsqnCBS8QYN.EbLu7.",
     "secret", "SHA512-CRYPT"},
    {"{SHA512-CRYPT}$6$rounds=10000$65Mf1cAjRMALlMFR$HiK2TBaeH7Sza7UgdL3fzUeKUs2ml.w2gNUo2mTjNglc5O6100yEUmvmvxZCYraHU9G6QsPqOWMLMASaP7cwj1",
     "secret", "SHA512-CRYPT"},
    {"{SHA256-CRYPT}$5$iT4B4siWEXlgny/F$UuQAUWefSWPST/9JWDiodVN6YocOIqm7LTrK1f5VAF6", "secret", "SHA256-CRYPT"},
    {"{BLF-CRYPT}$2y$05$6h43eUqdVPaiIZvOziA5r.JyZBnb5epEDZ0K8rpwat1Pkf7swfkIm", "secret", "BLF-CRYPT"},
    {"{BLF-CRYPT}$2b$05$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "secret", "BLF-CRYPT"},
    {"{BLF-CRYPT}$2a$05$NtV7J8k8vTUXYp0PV8qxjeJPvURuihKvSS6CkCNISXNbBEqOhz3f.", "secret", "BLF-CRYPT"},
    {"{MD5-CRYPT}$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1", "secret", "MD5-CRYPT"},
    {"{DES-CRYPT}pVo6xfXlJe3oI", "secret", "DES-CRYPT"},
    {"{CRYPT}$2y$05$Vlhl9CKWnlUFng9quMlLceoMka.rWce8mR4WmtYsb7IuLQUUUK9kq", "secret", "CRYPT"},
    {"{CRYPT}$6$XB//WI1Z82Xg/xx/$Fv78bfCJE5l428gaHNQOMYKwD9xdPEQVfl9ALGgiM/fgRl9Jgvqt042FlBIXu.TJ1y25MawEVZOEifFSvSJsX/",
     "secret", "CRYPT"},
    {"{CRYPT}$y$j9T$Ioo0tiBFdDzNXT.FPIDub1$jfrdjqnY7kprESK9nE/.2vlGHvWex0XxUoOcop7d5j.", "secret", "CRYPT"},
    {"{CRYPT}zqGExmQOzX8lA", "secret", "CRYPT"},
    {"$6$XB//WI1Z82Xg/xx/$Fv78bfCJE5l428gaHNQOMYKwD9xdPEQVfl9ALGgiM/fgRl9Jgvqt042FlBIXu.TJ1y25MawEVZOEifFSvSJsX/", "secret",
     "SHA512-CRYPT"},
    {"$5$4TW2lxEOIjrhAJW/$N/xGiw9cI0ZA13V2Och0o.pHSV6vN9ScnmMprJKLqz2", "secret", "SHA256-CRYPT"},
    {"$2b$05$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "secret", "BLF-CRYPT"},
    {"$2y$05$6h43eUqdVPaiIZvOziA5r.JyZBnb5epEDZ0K8rpwat1Pkf7swfkIm", "secret", "BLF-CRYPT"},
    {"$2a$05$NtV7J8k8vTUXYp0PV8qxjeJPvURuihKvSS6CkCNISXNbBEqOhz3f.", "secret", "BLF-CRYPT"},
    {"$y$j9T$Ioo0tiBFdDzNXT.FPIDub1$jfrdjqnY7kprESK9nE/.2vlGHvWex0XxUoOcop7d5j.", "secret", "yescrypt"},
    {"$gy$j9T$xPyNMpJe5i4F9hsDNKX.S0$zxg8GMC3dBpJSkOro6dQ6koa29YlNQ3b3vxCj5oikbA", "secret", "gost-yescrypt"},
    {"$7$CU..../....YdtNUkoRPfrk2OSl1oTsY/$gnZKZbfPbTk.5u3RSZtvPsutDwfCKH5mBXp.pXGBA9B", "secret", "scrypt"},
    {"$1$BVxaPzW4$Ik8yFaxF2tc4K.j3Xi1YW0", "secret", "MD5-CRYPT"},
};

TEST(VerifyPassword, EachScheme) {
    for (const auto& c : scheme_cases) {
        EXPECT_TRUE(verify_password(c.stored, c.password)) << c.stored;
        EXPECT_FALSE(verify_password(c.stored, other_password(c.password))) << c.stored;
        EXPECT_FALSE(verify_password(c.stored, "wrong")) << c.stored;
        EXPECT_FALSE(verify_password(c.stored, c.stored)) << c.stored;
        EXPECT_EQ(check_stored_password(c.stored), "") << c.stored;
        EXPECT_EQ(password_scheme(c.stored), c.scheme) << c.stored;
    }
}

TEST(VerifyPassword, SchemeNamesAreCaseInsensitive) {
    const std::string sha512 =
        "$6$e2Ui3VEBo4z6h6Fc$Bm2XVE9AwMw1TLj17Q62yx.NsNNmLZjEYqRL9s6DEwITCmWt7SqVMj1gqXSpQGZoHmbrTsqnCBS8QYN.EbLu7.";
    for (const auto* name : {"{sha512-crypt}", "{Sha512-Crypt}", "{SHA512-crypt}", "{crypt}", "{Crypt}"}) {
        EXPECT_TRUE(verify_password(name + sha512, "secret")) << name;
        EXPECT_FALSE(verify_password(name + sha512, "Secret")) << name;
        EXPECT_EQ(check_stored_password(name + sha512), "") << name;
    }
    EXPECT_TRUE(verify_password("{blf-crypt}$2y$05$6h43eUqdVPaiIZvOziA5r.JyZBnb5epEDZ0K8rpwat1Pkf7swfkIm", "secret"));
    EXPECT_TRUE(verify_password("{sha256-CRYPT}$5$iT4B4siWEXlgny/F$UuQAUWefSWPST/9JWDiodVN6YocOIqm7LTrK1f5VAF6", "secret"));
    EXPECT_TRUE(verify_password("{md5-crypt}$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1", "secret"));
    EXPECT_TRUE(verify_password("{des-crypt}pVo6xfXlJe3oI", "secret"));
    for (const auto* stored : {"{plain}bob", "{Plain}bob", "{cleartext}bob", "{ClearText}bob", "{clear}bob"}) {
        EXPECT_TRUE(verify_password(stored, "bob")) << stored;
        EXPECT_FALSE(verify_password(stored, "BOB")) << stored;  // the name folds case, the password does not
        EXPECT_EQ(password_scheme(stored), "PLAIN") << stored;
    }
    EXPECT_EQ(password_scheme("{sha512-crypt}" + sha512), "SHA512-CRYPT");
}

TEST(VerifyPassword, UnknownSchemeNeverMatches) {
    struct Case {
        std::string stored;
        const char* password;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"{FOO}secret", "secret", "unknown scheme {FOO}"},
        {"{FOO}secret", "{FOO}secret", "unknown scheme {FOO}"},
        {"{}secret", "secret", "unknown scheme {}"},
        {"{ PLAIN}secret", "secret", "unknown scheme { PLAIN}"},
        {"{PLAIN }secret", "secret", "unknown scheme {PLAIN }"},
        {"{PLAIN.b64}c2VjcmV0", "secret", "unknown scheme {PLAIN.b64}"},  // Dovecot's encoding suffixes: unsupported
        {"{SSHA512}secret", "secret", "unknown scheme {SSHA512}"},
        {"{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA", "secret", "unknown scheme {ARGON2ID}"},
        {"{SHA512-CRYPT-X}$6$e2Ui3VEBo4z6h6Fc$Bm2XVE9AwMw1TLj17Q62yx.NsNNmLZjEYqRL9s6DEwITCmWt7SqVMj1gqXSpQGZoHmbrTsqnCBS8QYN.EbLu7.",
         "secret", "unknown scheme {SHA512-CRYPT-X}"},
        {"{F\nO\x01}x", "x", "unknown scheme {F\\x0aO\\x01}"},
        {"{" + std::string(50, 'A') + "}x", "x", "unknown scheme {AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...}"},
    };
    for (const auto& c : cases) {
        EXPECT_FALSE(verify_password(c.stored, c.password)) << c.stored;
        EXPECT_EQ(check_stored_password(c.stored), c.message);
        EXPECT_EQ(password_scheme(c.stored), "") << c.stored;
    }
}

TEST(VerifyPassword, UnterminatedSchemeNeverMatches) {
    for (const auto* stored : {"{PLAIN", "{PLAINsecret", "{", "{secret"}) {
        EXPECT_FALSE(verify_password(stored, stored)) << stored;
        EXPECT_FALSE(verify_password(stored, "secret")) << stored;
        EXPECT_EQ(check_stored_password(stored),
                  "unterminated {SCHEME} (for a plain-text password that starts with '{', write {PLAIN} before it)");
        EXPECT_EQ(password_scheme(stored), "");
    }
}

TEST(VerifyPassword, MalformedHashesNeverMatch) {
    const std::string sha512 =
        "$6$e2Ui3VEBo4z6h6Fc$Bm2XVE9AwMw1TLj17Q62yx.NsNNmLZjEYqRL9s6DEwITCmWt7SqVMj1gqXSpQGZoHmbrTsqnCBS8QYN.EbLu7.";
    const std::string sha256 = "$5$iT4B4siWEXlgny/F$UuQAUWefSWPST/9JWDiodVN6YocOIqm7LTrK1f5VAF6";
    const std::string bcrypt = "$2b$05$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC";
    const std::string md5 = "$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1";
    std::string bad_char = sha512;
    bad_char[40] = '!';
    struct Case {
        std::string stored;
        std::string message;
    };
    const std::string hint = " (for a plain-text password that starts with '$6$', write {PLAIN} before it)";
    const std::vector<Case> cases = {
        // Truncated, extended, or emptied hashes.
        {"{SHA512-CRYPT}" + sha512.substr(0, 40), "malformed SHA512-CRYPT hash"},
        {"{SHA512-CRYPT}" + sha512 + "X", "malformed SHA512-CRYPT hash"},
        {"{SHA512-CRYPT}" + sha512.substr(0, 20), "malformed SHA512-CRYPT hash"},  // the setting alone
        {"{SHA512-CRYPT}", "malformed SHA512-CRYPT hash"},
        {"{SHA512-CRYPT}$6$", "malformed SHA512-CRYPT hash"},
        {"{SHA512-CRYPT}" + bad_char, "malformed SHA512-CRYPT hash"},
        {"{BLF-CRYPT}" + bcrypt.substr(0, 30), "malformed BLF-CRYPT hash"},
        {"{MD5-CRYPT}" + md5.substr(0, md5.size() - 1), "malformed MD5-CRYPT hash"},
        {"{DES-CRYPT}pVo6xfXlJe3o", "malformed DES-CRYPT hash"},
        {"{DES-CRYPT}pV", "malformed DES-CRYPT hash"},
        // The scheme names a different algorithm than the hash is in.
        {"{SHA512-CRYPT}" + sha256, "malformed SHA512-CRYPT hash"},
        {"{SHA256-CRYPT}" + sha512, "malformed SHA256-CRYPT hash"},
        {"{BLF-CRYPT}" + sha512, "malformed BLF-CRYPT hash"},
        {"{BLF-CRYPT}$2x$05$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "malformed BLF-CRYPT hash"},
        {"{MD5-CRYPT}" + sha512, "malformed MD5-CRYPT hash"},
        {"{DES-CRYPT}" + md5, "malformed DES-CRYPT hash"},
        // Settings libxcrypt rejects (it answers with a failure token).
        {"{SHA512-CRYPT}$6$rounds=10$abc$" + sha512.substr(20), "malformed SHA512-CRYPT hash"},
        {"{SHA512-CRYPT}$6$rounds=x$abc$" + sha512.substr(20), "malformed SHA512-CRYPT hash"},
        {"{BLF-CRYPT}$2b$03$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "malformed BLF-CRYPT hash"},
        {"{BLF-CRYPT}$2b$32$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "malformed BLF-CRYPT hash"},
        {"{CRYPT}", "malformed CRYPT hash"},
        {"{CRYPT}$6", "malformed CRYPT hash"},
        {"{CRYPT}*0", "malformed CRYPT hash"},
        {"{CRYPT}*1", "malformed CRYPT hash"},
        {"{CRYPT}ab", "malformed CRYPT hash"},  // a DES salt without its hash
        {"{CRYPT}a", "malformed CRYPT hash"},
        {"{CRYPT}$y$j9T$Ioo0tiBFdDzNXT", "malformed CRYPT hash"},
        {"{CRYPT}$y$zzz$abc$", "malformed CRYPT hash"},
        // Settings crypt accepts but rewrites, so its output can never equal the stored value.
        {"{SHA512-CRYPT}$6$abcdefghijklmnopqrstu$J/AWykHqo2Tx5UtavGnFc3ytI33la50JpzLTarSWVhkIXK6wOjNwwZjsrIw2UgmrER2EKrSHCeQyAINEEXAk1/",
         "malformed SHA512-CRYPT hash"},
        {"{BLF-CRYPT}$2b$05$c7FiDxAp6VozsroRyj8NiPpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC", "malformed BLF-CRYPT hash"},
        // Bare hashes: reported with a hint, never taken as plain text.
        {sha512.substr(0, 40), "malformed SHA512-CRYPT hash" + hint},
        {"$6$", "malformed SHA512-CRYPT hash" + hint},
        {sha512 + "X", "malformed SHA512-CRYPT hash" + hint},
        {"$2b$05$short",
         "malformed BLF-CRYPT hash (for a plain-text password that starts with '$2b$', write {PLAIN} before it)"},
        {"$y$j9T$abc", "malformed yescrypt hash (for a plain-text password that starts with '$y$', write {PLAIN} before it)"},
        {"$gy$", "malformed gost-yescrypt hash (for a plain-text password that starts with '$gy$', write {PLAIN} before it)"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(check_stored_password(c.stored), c.message) << c.stored;
        const auto payload = c.stored.substr(c.stored.starts_with('{') ? c.stored.find('}') + 1 : 0);
        for (const auto& pw : {"secret"s, c.stored, payload, "*0"s, "*1"s, "x"s}) {
            if (pw.empty()) continue;
            EXPECT_FALSE(verify_password(c.stored, pw)) << c.stored << " / " << pw;
        }
    }
}

TEST(VerifyPassword, CryptFailureTokensNeverMatch) {
    // crypt_rn answers a setting it rejects with "*0" or "*1" in its output
    // buffer; a stored value or a password equal to a token must not match.
    for (const auto* stored : {"{CRYPT}*0", "{CRYPT}*1", "{CRYPT}*", "{CRYPT}$6", "{CRYPT}!", "{CRYPT}:", "{SHA512-CRYPT}$6$rounds=1$x$",
                               "{BLF-CRYPT}$2b$99$", "$2b$05$", "$y$", "$y$j9T$"}) {
        for (const auto* pw : {"*0", "*1", "*", "secret", "x"}) {
            EXPECT_FALSE(verify_password(stored, pw)) << stored << " / " << pw;
        }
        EXPECT_NE(check_stored_password(stored), "") << stored;
    }
}

TEST(VerifyPassword, NulInPasswordNeverMatches) {
    // crypt takes C strings: "secret\0x" must not be verified as "secret".
    const auto h = hash_password("secret");
    EXPECT_FALSE(verify_password(h, "secret\0x"s));
    EXPECT_FALSE(verify_password(h, "secret\0"s));
    EXPECT_FALSE(verify_password(h, "\0secret"s));
    EXPECT_FALSE(verify_password("{PLAIN}a\0b"s, "a\0b"s));
    EXPECT_FALSE(verify_password("a\0b"s, "a\0b"s));
    EXPECT_FALSE(verify_password("a"s, "a\0b"s));
    EXPECT_FALSE(verify_password("{BLF-CRYPT}$2y$05$6h43eUqdVPaiIZvOziA5r.JyZBnb5epEDZ0K8rpwat1Pkf7swfkIm", "secret\0"s));
    EXPECT_EQ(check_stored_password("a\0b"s), "password contains a NUL byte");
    EXPECT_EQ(check_stored_password("{PLAIN}a\0b"s), "password contains a NUL byte");
    EXPECT_EQ(check_stored_password(h + "\0"s), "malformed SHA512-CRYPT hash");
    EXPECT_FALSE(verify_password(h + "\0"s, "secret"));
}

TEST(VerifyPassword, EmptyPasswordNeverMatches) {
    // An empty password is refused outright: an empty SASL PLAIN or LOGIN
    // password must not open a mailbox, whatever is stored.
    EXPECT_FALSE(verify_password("", ""));
    EXPECT_FALSE(verify_password("{PLAIN}", ""));
    EXPECT_FALSE(verify_password("{CLEARTEXT}", ""));
    EXPECT_FALSE(verify_password("bob123", ""));
    EXPECT_FALSE(verify_password(hash_password("secret"), ""));
    // Hashes of the empty password, as mkpasswd and doveadm pw make them.
    EXPECT_FALSE(verify_password(
        "$6$8woqFkc1liR1Wv/c$PYf3EmQP2V4Sx3FLPz.tvWmLxgS0LSZ/pfOz1qb6xpA3W2.MJpprNgOjfjSuR3bpXNudKlyWjDe2mtm6zGjBg1", ""));
    EXPECT_FALSE(verify_password(
        "{SHA512-CRYPT}$6$u1AMaJFKAcofAkIg$8Kdsxue4/.vHjenqqfqQjonDbBGybe/fm6kjSFZvG.UfmY/TuQq1sFChb3fgppIaXxIANWDn83N3EntYPiyeE1", ""));
    // An empty stored value matches nothing, and says why.
    EXPECT_FALSE(verify_password("", "x"));
    EXPECT_FALSE(verify_password("{PLAIN}", "{PLAIN}"));
    EXPECT_EQ(check_stored_password(""), "empty password");
    EXPECT_EQ(check_stored_password("{PLAIN}"), "empty password");
    EXPECT_EQ(check_stored_password("{clear}"), "empty password");
}

TEST(VerifyPassword, PasswordsLongerThanCryptTakes) {
    const std::string longest(max_password_size, 'p');
    const std::string too_long(max_password_size + 1, 'p');
    const auto h = hash_password(longest);
    EXPECT_TRUE(verify_password(h, longest));
    EXPECT_FALSE(verify_password(h, too_long));
    EXPECT_TRUE(verify_password(too_long, too_long));  // plain text is compared directly
    EXPECT_FALSE(verify_password(too_long, longest));
}

TEST(VerifyPassword, IsThreadSafe) {
    // Each call owns its crypt state; run schemes side by side to catch shared state.
    const std::vector<std::pair<std::string, std::string>> work = {
        {hash_password("alpha"), "alpha"},
        {"{BLF-CRYPT}$2y$05$6h43eUqdVPaiIZvOziA5r.JyZBnb5epEDZ0K8rpwat1Pkf7swfkIm", "secret"},
        {"$5$4TW2lxEOIjrhAJW/$N/xGiw9cI0ZA13V2Och0o.pHSV6vN9ScnmMprJKLqz2", "secret"},
        {"{PLAIN}plain", "plain"},
    };
    std::vector<int> failures(work.size(), 0);
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < work.size(); ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 10; ++i) {
                    const auto& [stored, pw] = work[(t + i) % work.size()];
                    if (!verify_password(stored, pw) || verify_password(stored, other_password(pw))) ++failures[t];
                }
            });
        }
    }
    for (std::size_t t = 0; t < failures.size(); ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
}

// ---- vectors made by doveadm pw and mkpasswd (tests/unit/auth/password_vectors.txt) ----

TEST(PasswordVectors, EveryVectorVerifies) {
    const auto file = load_vectors();
    ASSERT_EQ(file.vectors.size(), 95u);  // 19 commands x 5 passwords; a cut-off file must fail
    for (const auto& v : file.vectors) {
        SCOPED_TRACE("password_vectors.txt:" + std::to_string(v.line) + ": " + v.stored);
        EXPECT_TRUE(verify_password(v.stored, v.password));
        EXPECT_FALSE(verify_password(v.stored, other_password(v.password)));
        EXPECT_FALSE(verify_password(v.stored, "wrong password"));
        EXPECT_FALSE(verify_password(v.stored, ""));
        EXPECT_EQ(check_stored_password(v.stored), "");
        EXPECT_NE(password_scheme(v.stored), "");
    }
}

TEST(PasswordVectors, CoverEveryCommandAndPasswordKind) {
    const auto file = load_vectors();
    EXPECT_EQ(file.sections.size(), 19u);
    // Each section holds the same passwords, and each command's hash form is there.
    const std::vector<std::string> forms = {
        "{SHA512-CRYPT}$6$", "{SHA512-CRYPT}$6$rounds=10000$", "{SHA256-CRYPT}$5$", "{BLF-CRYPT}$2y$",
        "{CRYPT}$2y$", "{MD5-CRYPT}$1$", "{DES-CRYPT}", "{PLAIN}", "{CLEARTEXT}", "$6$rounds=10000$",
        "$5$", "$2b$", "$2a$", "$y$", "$gy$", "$7$", "$1$",
    };
    for (const auto& form : forms) {
        EXPECT_EQ(std::count_if(file.vectors.begin(), file.vectors.end(), [&](const Vector& v) { return v.stored.starts_with(form); }) % 5, 0)
            << form;
        EXPECT_TRUE(std::any_of(file.vectors.begin(), file.vectors.end(), [&](const Vector& v) { return v.stored.starts_with(form); }))
            << form;
    }
    const auto has_password = [&](auto pred) { return std::any_of(file.vectors.begin(), file.vectors.end(), [&](const Vector& v) { return pred(v.password); }); };
    EXPECT_TRUE(has_password([](const std::string& p) { return p.find(' ') != std::string::npos; })) << "a password with spaces";
    EXPECT_TRUE(has_password([](const std::string& p) {
        return std::any_of(p.begin(), p.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    })) << "a non-ASCII UTF-8 password";
    EXPECT_TRUE(has_password([](const std::string& p) { return p.size() > 72; })) << "a password past bcrypt's 72 bytes";
}

// ---- verify_cost and make_decoy: what an unknown login is checked against ----

TEST(VerifyCost, FollowsTheSchemeAndItsWorkFactor) {
    const std::string sha512 =
        "$6$e2Ui3VEBo4z6h6Fc$Bm2XVE9AwMw1TLj17Q62yx.NsNNmLZjEYqRL9s6DEwITCmWt7SqVMj1gqXSpQGZoHmbrTsqnCBS8QYN.EbLu7.";
    const std::string sha512_10000 =
        "$6$rounds=10000$65Mf1cAjRMALlMFR$HiK2TBaeH7Sza7UgdL3fzUeKUs2ml.w2gNUo2mTjNglc5O6100yEUmvmvxZCYraHU9G6QsPqOWMLMASaP7cwj1";
    const std::string bcrypt5 = "$2b$05$c7FiDxAp6VozsroRyj8NiOpPoOuRGlY9h22isgbEKF3Y6oKI4WxnC";
    const std::string yescrypt = "$y$j9T$Ioo0tiBFdDzNXT.FPIDub1$jfrdjqnY7kprESK9nE/.2vlGHvWex0XxUoOcop7d5j.";
    const std::string scrypt = "$7$CU..../....YdtNUkoRPfrk2OSl1oTsY/$gnZKZbfPbTk.5u3RSZtvPsutDwfCKH5mBXp.pXGBA9B";

    // Nothing hashed: plain text, an unknown scheme, a scheme name over another algorithm's hash.
    for (const auto* stored : {"bob123", "{PLAIN}bob123", "{FOO}x", "{SHA256-CRYPT}$6$abc$def"})
        EXPECT_EQ(verify_cost(stored), 0) << stored;

    // In the order the measurements put them (password.cpp): a scheme and a work factor each count.
    const std::vector<std::string> ascending = {
        "bob123", "{DES-CRYPT}pVo6xfXlJe3oI", "$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1", sha512, bcrypt5, sha512_10000,
        yescrypt, scrypt};
    for (std::size_t i = 1; i < ascending.size(); ++i)
        EXPECT_LT(verify_cost(ascending[i - 1]), verify_cost(ascending[i])) << ascending[i - 1] << " < " << ascending[i];

    // The work factors as libxcrypt reads them: rounds, 2^cost, N·r·p.
    EXPECT_EQ(verify_cost(sha512_10000), 2 * verify_cost(sha512));
    EXPECT_EQ(verify_cost("{SHA512-CRYPT}" + sha512), verify_cost(sha512));
    EXPECT_EQ(verify_cost("$6$rounds=1$x$"), verify_cost("$6$rounds=1000$x$"));  // clamped as crypt clamps it
    EXPECT_EQ(verify_cost("$2y$07$6h43eUqdVPaiIZvOziA5r."), 4 * verify_cost(bcrypt5));
    EXPECT_EQ(verify_cost("$y$j9T$"), 16 * verify_cost("$y$j75$"));     // N 2^12 r 32, N 2^10 r 8 (mkpasswd -R 5, -R 1)
    EXPECT_EQ(verify_cost("$y$jBT$"), 4 * verify_cost("$y$j9T$"));      // mkpasswd -R 7
    EXPECT_EQ(verify_cost("$gy$j9T$"), verify_cost("$y$j9T$"));
    EXPECT_EQ(verify_cost("$7$DU..../....x$"), 2 * verify_cost(scrypt));  // N 2^15 against 2^14
    EXPECT_EQ(verify_cost("$7$CU....0....x$"), 2 * verify_cost(scrypt));  // p 2 against 1
}

TEST(MakeDecoy, CostsWhatTheHashCostsAndMatchesNoPassword) {
    for (const auto& c : scheme_cases) {
        const auto decoy = make_decoy(c.stored);
        ASSERT_TRUE(decoy) << c.stored;
        EXPECT_EQ(verify_cost(*decoy), verify_cost(c.stored)) << c.stored << " -> " << *decoy;
        EXPECT_EQ(check_stored_password(*decoy), "") << *decoy;
        EXPECT_EQ(password_scheme(*decoy), "CRYPT") << *decoy;
        EXPECT_FALSE(verify_password(*decoy, c.password)) << *decoy;
        EXPECT_NE(make_decoy(c.stored), decoy) << "a random password each time";
    }
    // The same setting: scheme, rounds and salt.
    const auto d = make_decoy(
        "{SHA512-CRYPT}$6$rounds=10000$65Mf1cAjRMALlMFR$HiK2TBaeH7Sza7UgdL3fzUeKUs2ml.w2gNUo2mTjNglc5O6100yEUmvmvxZCYraHU9G6QsPqOWMLMASaP7cwj1");
    ASSERT_TRUE(d);
    EXPECT_TRUE(d->starts_with("{CRYPT}$6$rounds=10000$65Mf1cAjRMALlMFR$")) << *d;

    // Plain text, or a value that never hashes: a random plain text, as cheap.
    for (const auto* stored : {"bob123", "{FOO}bob123", "{SHA256-CRYPT}$6$abc$def"}) {
        const auto p = make_decoy(stored);
        ASSERT_TRUE(p) << stored;
        EXPECT_EQ(password_scheme(*p), "PLAIN") << *p;
        EXPECT_FALSE(verify_password(*p, "bob123"));
    }
    // A setting crypt refuses fails at once: no decoy.
    for (const auto* stored : {"$6$rounds=10$abc$x", "{BLF-CRYPT}$2b$03$c7FiDxAp6VozsroRyj8NiO", "{CRYPT}*0", "$y$zzz$abc$"})
        EXPECT_EQ(make_decoy(stored), std::nullopt) << stored;
}

// ---- check_stored_password / password_scheme on their own ----

TEST(CheckStoredPassword, AcceptsWhatTheToolsPrintAndNamesTheScheme) {
    EXPECT_EQ(check_stored_password("bob123"), "");
    EXPECT_EQ(check_stored_password("{PLAIN}{weird}"), "");
    EXPECT_EQ(password_scheme("bob123"), "PLAIN");
    EXPECT_EQ(password_scheme("{CLEARTEXT}x"), "PLAIN");
    EXPECT_EQ(password_scheme("{crypt}anything"), "CRYPT");  // the scheme is known even when the hash is bad
    EXPECT_EQ(password_scheme("$6$bad"), "SHA512-CRYPT");
    EXPECT_EQ(password_scheme("{FOO}x"), "");
    EXPECT_EQ(password_scheme("{FOO"), "");
}

}  // namespace
}  // namespace mxlab::auth
