// Header text to UTF-8: RFC 2047 encoded words, RFC 2231 values, and charset conversion through glibc's iconv (which knows GB18030, Big5 and the ISO 8859 family).
#include "mail/codec/rfc2047.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "core/ascii.hpp"

namespace mxlab::codec {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr std::size_t kMaxWord = 1024;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Length of the valid UTF-8 sequence at s[0], 0 if none.
std::size_t utf8_sequence(std::string_view s) {
    const auto c = static_cast<unsigned char>(s[0]);
    std::size_t n;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (s.size() < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0;
    }
    const auto c1 = static_cast<unsigned char>(s[1]);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) return 0;
    return n;
}

// UTF-8 as it is, anything else as Latin-1.
std::string utf8_or_latin1(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8_sequence(s.substr(i));
        if (n > 0) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            const auto c = static_cast<unsigned char>(s[i++]);
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

std::string base64_decode(std::string_view in, bool* ok) {
    std::string out;
    unsigned bits = 0;
    int count = 0;
    *ok = true;
    for (const char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else if (c == '=') break;
        else { *ok = false; return {}; }
        bits = (bits << 6) | static_cast<unsigned>(v);
        if (++count == 4) {
            out += static_cast<char>(bits >> 16);
            out += static_cast<char>(bits >> 8);
            out += static_cast<char>(bits);
            bits = 0;
            count = 0;
        }
    }
    if (count == 1) *ok = false;
    if (count == 2) out += static_cast<char>(bits >> 4);
    if (count == 3) {
        out += static_cast<char>(bits >> 10);
        out += static_cast<char>(bits >> 2);
    }
    return out;
}

// RFC 2047 section 4.2: "_" is a space, =XX a byte.
std::string q_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '_') {
            out += ' ';
        } else if (in[i] == '=' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

struct IconvCloser {
    void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};

// One encoded word at the start of s: its decoded UTF-8 and its length.
// (s ends where the word must: see decode_rfc2047.)
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view s) {
    // =?charset?X?text?=
    if (s.size() < 8 || s[0] != '=' || s[1] != '?') return std::nullopt;
    const auto q1 = s.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    const auto end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view charset = s.substr(2, q1 - 2);
    charset = charset.substr(0, charset.find('*'));  // RFC 2231 section 5: charset*language
    const std::string_view text = s.substr(q1 + 3, end - q1 - 3);
    if (text.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
    std::string bytes;
    const char encoding = static_cast<char>(s[q1 + 1] | 0x20);
    if (encoding == 'b') {
        bool ok;
        bytes = base64_decode(text, &ok);
        if (!ok) return std::nullopt;
    } else if (encoding == 'q') {
        bytes = q_decode(text);
    } else {
        return std::nullopt;
    }
    auto utf8 = to_utf8(charset, bytes);
    if (!utf8) return std::nullopt;
    return std::pair{std::move(*utf8), end + 2};
}

}  // namespace

std::optional<std::string> to_utf8(std::string_view charset, std::string_view text) {
    std::string name = lower(charset);
    if (name == "gb2312" || name == "gbk" || name == "x-gbk" || name == "cp936" || name == "euc-cn") name = "gb18030";
    if (name.empty() || name == "us-ascii" || name == "ascii") name = "utf-8";  // 8-bit in "ASCII" is read leniently below
    if (name == "utf-8" || name == "utf8") {
        std::string out;
        for (std::size_t i = 0; i < text.size();) {
            const std::size_t n = utf8_sequence(text.substr(i));
            if (n == 0) {
                out += kReplacement;
                ++i;
            } else {
                out.append(text.substr(i, n));
                i += n;
            }
        }
        return out;
    }
    if (name.size() > 40 || name.find_first_of("/, ") != std::string::npos) return std::nullopt;  // iconv's //TRANSLIT and lists
    std::unique_ptr<void, IconvCloser> cd(iconv_open("UTF-8", name.c_str()));
    if (cd.get() == reinterpret_cast<void*>(-1)) {
        cd.release();
        return std::nullopt;
    }
    std::string out;
    char buffer[1024];
    char* in = const_cast<char*>(text.data());
    std::size_t in_left = text.size();
    while (in_left > 0) {
        char* o = buffer;
        std::size_t o_left = sizeof buffer;
        const std::size_t r = iconv(static_cast<iconv_t>(cd.get()), &in, &in_left, &o, &o_left);
        out.append(buffer, static_cast<std::size_t>(o - buffer));
        if (r == static_cast<std::size_t>(-1)) {
            if (errno == E2BIG) continue;
            // EILSEQ or EINVAL (a sequence cut short): one byte lost, say so.
            out += kReplacement;
            ++in;
            --in_left;
            iconv(static_cast<iconv_t>(cd.get()), nullptr, nullptr, nullptr, nullptr);
        }
    }
    char* o = buffer;
    std::size_t o_left = sizeof buffer;
    iconv(static_cast<iconv_t>(cd.get()), nullptr, nullptr, &o, &o_left);
    out.append(buffer, static_cast<std::size_t>(o - buffer));
    return out;
}

std::string decode_rfc2047(std::string_view value) {
    std::string out;
    std::size_t plain_start = 0;  // text not yet copied
    bool last_was_word = false;
    // A word ends at the first "?=" after its start, holds no whitespace and,
    // leniently, is at most kMaxWord long (RFC 2047 section 2 says 75).
    // Where the next "?=" and whitespace are is kept, not searched again
    // for every "=?": a value full of "=?" costs linear time.
    std::size_t close = value.find("?="), space = value.find_first_of(" \t\r\n");
    for (std::size_t i = 0; i < value.size();) {
        if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
            if (close != std::string_view::npos && close < i + 2) close = value.find("?=", i + 2);
            if (space != std::string_view::npos && space < i) space = value.find_first_of(" \t\r\n", i);
            const std::size_t limit = std::min({space, i + kMaxWord, value.size()});
            std::optional<std::pair<std::string, std::size_t>> word;
            if (close != std::string_view::npos && close + 2 <= limit) word = encoded_word(value.substr(i, limit - i));
            if (word) {
                const std::string_view between = value.substr(plain_start, i - plain_start);
                // RFC 2047 section 6.2: whitespace between two encoded words is not text.
                if (!(last_was_word && between.find_first_not_of(" \t\r\n") == std::string_view::npos)) {
                    out += utf8_or_latin1(between);
                }
                out += word->first;
                i += word->second;
                plain_start = i;
                last_was_word = true;
                continue;
            }
        }
        if (value[i] != ' ' && value[i] != '\t' && value[i] != '\r' && value[i] != '\n') last_was_word = false;
        ++i;
    }
    out += utf8_or_latin1(value.substr(plain_start));
    return out;
}

std::string decode_rfc2231_value(std::string_view value, std::string* language) {
    std::string_view charset = "utf-8";
    const auto q1 = value.find('\'');
    const auto q2 = q1 == std::string_view::npos ? q1 : value.find('\'', q1 + 1);
    if (q2 != std::string_view::npos) {
        charset = value.substr(0, q1);
        if (language) *language = std::string(value.substr(q1 + 1, q2 - q1 - 1));
        value = value.substr(q2 + 1);
    }
    std::string bytes;
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '%' && i + 2 < value.size() && hex_value(value[i + 1]) >= 0 && hex_value(value[i + 2]) >= 0) {
            bytes += static_cast<char>(hex_value(value[i + 1]) * 16 + hex_value(value[i + 2]));
            i += 2;
        } else {
            bytes += value[i];
        }
    }
    if (auto utf8 = to_utf8(charset, bytes)) return std::move(*utf8);
    return utf8_or_latin1(bytes);
}

}  // namespace mxlab::codec
