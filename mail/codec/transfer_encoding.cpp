// Content-Transfer-Encoding undone: base64 and quoted-printable as one byte-at-a-time state machine, so a body decodes the same whole or in any pieces.
#include "mail/codec/transfer_encoding.hpp"

#include <array>

#include "core/ascii.hpp"

namespace mxlab::codec {
namespace {

enum Kind : int { identity = 0, base64 = 1, quoted_printable = 2 };

std::optional<int> kind_of(std::string_view encoding) {
    if (encoding.empty() || iequals(encoding, "7bit") || iequals(encoding, "8bit") || iequals(encoding, "binary")) {
        return identity;
    }
    if (iequals(encoding, "base64")) return base64;
    if (iequals(encoding, "quoted-printable")) return quoted_printable;
    return std::nullopt;
}

// Base64 values by byte, -1 outside the alphabet.
constexpr auto kSextets = [] {
    std::array<signed char, 256> table{};
    table.fill(-1);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    return table;
}();

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;  // lowercase is not RFC 2045, but encoders write it
    return -1;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The bytes of the 1 to 3 sextets held (a quantum cut short by "=" or the
// end): one sextet makes no byte and is dropped.
void flush_base64(std::string& held, std::string& out) {
    unsigned bits = 0;
    for (const char v : held) bits = (bits << 6) | static_cast<unsigned char>(v);
    if (held.size() == 2) out += static_cast<char>(bits >> 4);
    if (held.size() == 3) {
        out += static_cast<char>(bits >> 10);
        out += static_cast<char>(bits >> 2);
    }
    held.clear();
}

// RFC 2045 6.8: characters outside the alphabet are skipped; "=" ends a
// quantum (data after it, as in concatenated encodings, goes on decoding).
// `held` keeps the sextets of the quantum in progress, as values 0-63.
void feed_base64(std::string_view chunk, std::string& held, std::string& out) {
    for (const char c : chunk) {
        if (c == '=') {
            flush_base64(held, out);
            continue;
        }
        const int v = kSextets[static_cast<unsigned char>(c)];
        if (v < 0) continue;
        held += static_cast<char>(v);
        if (held.size() == 4) {
            const unsigned bits = (static_cast<unsigned>(held[0]) << 18) | (static_cast<unsigned>(held[1]) << 12) |
                                  (static_cast<unsigned>(held[2]) << 6) | static_cast<unsigned>(held[3]);
            out += static_cast<char>(bits >> 16);
            out += static_cast<char>(bits >> 8);
            out += static_cast<char>(bits);
            held.clear();
        }
    }
}

// RFC 2045 6.7. `held` is what the next bytes decide: "=" or "=X" (an
// escape or not), "=" and blanks (a soft line break if a line end follows),
// or a run of blanks (trailing whitespace, deleted before a line end, rule
// 3), either possibly followed by the CR of a CRLF. Line ends are CRLF or LF.
void step_qp(char c, std::string& held, std::string& out) {
    for (;;) {
        if (held.empty()) {
            if (c == '=' || is_blank(c)) held += c;
            else out += c;
            return;
        }
        const bool soft = held[0] == '=';
        if (held == "=" && hex_value(c) >= 0) {
            held += c;
            return;
        }
        if (soft && held.size() == 2 && hex_value(held[1]) >= 0) {
            if (hex_value(c) >= 0) {
                out += static_cast<char>(hex_value(held[1]) * 16 + hex_value(c));
                held.clear();
                return;
            }
        } else if (held.back() == '\r') {
            if (c == '\n') {
                if (!soft) out += "\r\n";
                held.clear();
                return;
            }
        } else if (is_blank(c) || c == '\r') {
            held += c;
            return;
        } else if (c == '\n') {
            if (!soft) out += '\n';
            held.clear();
            return;
        }
        // Not an escape, soft break or trailing whitespace after all: the
        // bytes are text as written (a malformed "=" included), and `c`
        // starts afresh.
        out += held;
        held.clear();
    }
}

void feed_qp(std::string_view chunk, std::string& held, std::string& out) {
    std::size_t i = 0;
    while (i < chunk.size()) {
        if (held.empty()) {
            // Plain text is copied in runs, not byte by byte.
            const std::size_t special = chunk.find_first_of("= \t", i);
            const std::size_t end = special == std::string_view::npos ? chunk.size() : special;
            out.append(chunk.substr(i, end - i));
            i = end;
            if (i == chunk.size()) break;
        }
        step_qp(chunk[i++], held, out);
    }
}

// The body's end is a line's end (its last line break belongs to the
// boundary after it): "=" and blanks there are a soft break, blanks alone
// trailing whitespace; "=X" and a CR not followed by LF are text.
void finish_qp(std::string& held, std::string& out) {
    if (held.empty()) return;
    const bool escape_start = held.size() == 2 && held[0] == '=' && hex_value(held[1]) >= 0;
    if (escape_start || held.back() == '\r') out += held;
    held.clear();
}

}  // namespace

std::optional<std::string> decode_transfer_encoding(std::string_view body, std::string_view encoding) {
    TransferDecoder decoder;
    if (!decoder.start(encoding)) return std::nullopt;
    std::string out;
    out.reserve(body.size());
    decoder.feed(body, out);
    decoder.finish(out);
    return out;
}

bool TransferDecoder::start(std::string_view encoding) {
    carry_.clear();
    const auto kind = kind_of(encoding);
    kind_ = kind.value_or(identity);
    return kind.has_value();
}

void TransferDecoder::feed(std::string_view chunk, std::string& out) {
    switch (kind_) {
        case base64: feed_base64(chunk, carry_, out); break;
        case quoted_printable: feed_qp(chunk, carry_, out); break;
        default: out.append(chunk);
    }
}

void TransferDecoder::finish(std::string& out) {
    switch (kind_) {
        case base64: flush_base64(carry_, out); break;
        case quoted_printable: finish_qp(carry_, out); break;
        default: break;
    }
    carry_.clear();
}

}  // namespace mxlab::codec
