// Modified UTF-7 mailbox names (RFC 3501 section 5.1.3); see mailbox_name.hpp.
#include "mail/imap/mailbox_name.hpp"

#include <cstdint>
#include <vector>

namespace mxlab::imap {

namespace {

// RFC 2152's base64 with "," for "/" (RFC 3501 section 5.1.3).
constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    const auto i = alphabet.find(c);
    return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xc0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xe0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (cp & 0x3f));
    }
}

// The code point at s[i] (advancing i), or nullopt for bytes that are not
// UTF-8: overlong forms, surrogates and values past U+10FFFF included.
std::optional<char32_t> next_utf8(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t n = 0;
    char32_t cp = 0, min = 0;
    if ((b0 & 0xe0) == 0xc0) n = 1, cp = b0 & 0x1f, min = 0x80;
    else if ((b0 & 0xf0) == 0xe0) n = 2, cp = b0 & 0x0f, min = 0x800;
    else if ((b0 & 0xf8) == 0xf0) n = 3, cp = b0 & 0x07, min = 0x10000;
    else return std::nullopt;
    if (s.size() - i <= n) return std::nullopt;
    for (std::size_t k = 1; k <= n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xc0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
    i += n + 1;
    return cp;
}

// RFC 9051 section 5.1: no control characters (C0, DEL, C1) and no line or
// paragraph separator in a mailbox name.
bool allowed(char32_t cp) { return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 && cp != 0x2029; }

bool valid_name_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto cp = next_utf8(s, i);
        if (!cp || !allowed(*cp)) return false;
    }
    return true;
}

// One "&...-" run's base64 (without the delimiters) as UTF-8, or nullopt.
std::optional<std::string> decode_run(std::string_view run) {
    std::vector<char16_t> units;
    std::uint32_t bits = 0;
    int nbits = 0;
    for (const char c : run) {
        const int v = base64_value(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        nbits += 6;
        if (nbits >= 16) {
            nbits -= 16;
            units.push_back(static_cast<char16_t>((bits >> nbits) & 0xffff));
        }
    }
    // What is left is padding: fewer than 6 bits, all zero (RFC 2152).
    if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || units.empty()) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < units.size(); ++i) {
        char32_t cp = units[i];
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (i + 1 == units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) return std::nullopt;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (units[++i] - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return std::nullopt;
        } else if ((cp >= 0x20 && cp <= 0x7e) || !allowed(cp)) {
            return std::nullopt;  // printable ASCII represents itself; controls are not in names
        }
        append_utf8(out, cp);
    }
    return out;
}

void encode_run(std::string& out, const std::vector<char16_t>& units) {
    out += '&';
    std::uint32_t bits = 0;
    int nbits = 0;
    for (const char16_t u : units) {
        bits = (bits << 16) | u;
        nbits += 16;
        while (nbits >= 6) {
            nbits -= 6;
            out += alphabet[(bits >> nbits) & 0x3f];
        }
    }
    if (nbits > 0) out += alphabet[(bits << (6 - nbits)) & 0x3f];
    out += '-';
}

}  // namespace

std::optional<std::string> mailbox_from_client(std::string_view name, bool utf8) {
    if (utf8) {
        if (!valid_name_utf8(name)) return std::nullopt;
        return std::string(name);
    }
    std::string out;
    for (std::size_t i = 0; i < name.size();) {
        const char c = name[i];
        if (c < 0x20 || c > 0x7e) return std::nullopt;
        if (c != '&') {
            out += c;
            ++i;
            continue;
        }
        const std::size_t end = name.find('-', i + 1);
        if (end == std::string_view::npos) return std::nullopt;
        if (end == i + 1) {
            out += '&';  // "&-"
        } else {
            const auto run = decode_run(name.substr(i + 1, end - i - 1));
            if (!run) return std::nullopt;
            out += *run;
        }
        i = end + 1;
    }
    return out;
}

std::string mailbox_to_client(std::string_view utf8_name, bool utf8) {
    if (utf8) return std::string(utf8_name);
    std::string out;
    std::vector<char16_t> units;
    for (std::size_t i = 0; i < utf8_name.size();) {
        const auto b = static_cast<unsigned char>(utf8_name[i]);
        if (b >= 0x20 && b <= 0x7e) {
            if (!units.empty()) {
                encode_run(out, units);
                units.clear();
            }
            out += b == '&' ? std::string_view("&-") : utf8_name.substr(i, 1);
            ++i;
            continue;
        }
        char32_t cp = 0xfffd;
        if (const auto decoded = next_utf8(utf8_name, i)) cp = *decoded;
        else ++i;
        if (cp >= 0x10000) {
            units.push_back(static_cast<char16_t>(0xd800 + ((cp - 0x10000) >> 10)));
            units.push_back(static_cast<char16_t>(0xdc00 + ((cp - 0x10000) & 0x3ff)));
        } else {
            units.push_back(static_cast<char16_t>(cp));
        }
    }
    if (!units.empty()) encode_run(out, units);
    return out;
}

}  // namespace mxlab::imap
