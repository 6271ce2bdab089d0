// libFuzzer target: a message through mail/codec — parsed, stored, decoded and rendered as IMAP BODYSTRUCTURE and ENVELOPE.
//
// Input: the message's bytes. Checks that nothing crashes and that the
// parser keeps its promises: offsets inside the message and children inside
// their parent, at most MimeLimits' parts, work linear in the size; the
// stored form decodes to an equal structure that renders the same text; the
// text is well-formed IMAP (balanced parentheses, quoted strings without
// CR, LF or 8-bit bytes, literals as long as they say); and a stored form
// with one byte changed decodes to something as safe or not at all; header
// text decodes to valid UTF-8; and the message fed to MimeParser in pieces
// (split where the input's own bytes say) parses to the same stored form,
// with the same work.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/codec/imap_render.hpp"
#include "mail/codec/mime.hpp"
#include "mail/codec/rfc2047.hpp"

namespace {

using namespace mxlab::codec;

void check(bool ok) {
    if (!ok) std::abort();
}

// RFC 3501 section 9, the parts BODYSTRUCTURE and ENVELOPE use: "(" ")",
// SP, NIL, numbers, quoted strings and literals.
void check_imap_text(std::string_view s) {
    int depth = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == '(') {
            ++depth;
            ++i;
        } else if (c == ')') {
            check(--depth >= 0);
            ++i;
        } else if (c == ' ' || (c >= '0' && c <= '9')) {
            ++i;
        } else if (s.substr(i, 3) == "NIL") {
            i += 3;
        } else if (c == '"') {
            for (++i;; ++i) {
                check(i < s.size());
                const auto q = static_cast<unsigned char>(s[i]);
                check(q != '\r' && q != '\n' && q != 0 && q < 0x80);
                if (q == '\\') {
                    check(i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\'));
                    ++i;
                } else if (q == '"') {
                    ++i;
                    break;
                }
            }
        } else if (c == '{') {
            const std::size_t close = s.find("}\r\n", i);
            check(close != std::string_view::npos && close > i + 1);
            const std::size_t n = std::stoul(std::string(s.substr(i + 1, close - i - 1)));
            i = close + 3;
            check(n <= s.size() - i);
            check(s.substr(i, n).find('\0') == std::string_view::npos);
            i += n;
        } else {
            check(false);
        }
    }
    check(depth == 0);
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0 || s.size() - i < n) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += n;
    }
    return true;
}

void check_structure(const MessageStructure& s, std::size_t size, const MimeLimits& limits) {
    check(!s.parts.empty() && s.parts.size() <= limits.max_parts + 1);
    check(s.parts[0].header_start == 0 && s.parts[0].end <= size);
    for (std::uint32_t i = 0; i < s.parts.size(); ++i) {
        const auto& p = s.parts[i];
        check(p.header_start <= p.body_start && p.body_start <= p.end && p.end <= size);
        check(p.lines <= p.end - p.body_start + 1 && p.bare_lf <= p.lines);
        for (auto c = p.first_child; c != 0; c = s.parts[c].next_sibling) {
            check(c > i && s.parts[c].parent == i);
            check(s.parts[c].header_start >= p.body_start && s.parts[c].end <= p.end + 2);
        }
        if (p.kind == PartKind::message) check(p.first_child != 0 && s.parts[p.first_child].envelope.has_value());
    }
}

void render_all(const MessageStructure& s) {
    check_imap_text(render_bodystructure(s, true));
    check_imap_text(render_bodystructure(s, false));
    for (std::uint32_t i = 0; i < s.parts.size(); ++i) {
        if (s.parts[i].envelope) check_imap_text(render_envelope(s, i));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view message(reinterpret_cast<const char*>(data), size);
    for (const MimeLimits limits : {MimeLimits{}, MimeLimits{.max_parts = 6, .max_depth = 3}}) {
        MimeWork work;
        const auto s = parse_mime(message, limits, &work);
        check(work.steps <= 8 * size + 1024 && work.peak_trie_nodes <= size + 1);
        check_structure(s, size, limits);
        const std::string stored = encode_structure(s);
        const auto back = decode_structure(stored);
        check(back.has_value() && *back == s);
        for (const std::size_t step : {std::size_t{1}, std::size_t{0}}) {
            MimeParser pieces(limits);
            MimeWork piece_work;
            for (std::size_t i = 0, k = 0; i < size; i += step != 0 ? step : 1 + data[k++ % size] % 64) {
                pieces.feed(message.substr(i, step != 0 ? step : 1 + data[k % size] % 64));
            }
            check(encode_structure(pieces.finish(&piece_work)) == stored && piece_work.steps == work.steps);
        }
        const std::string text = render_bodystructure(s) + render_envelope(s);
        check(render_bodystructure(*back) + render_envelope(*back) == text);
        render_all(s);
        // The stored form with one byte changed: rejected, or safe to render.
        if (!stored.empty() && size > 0) {
            std::string bent = stored;
            bent[(size * 7919) % bent.size()] ^= static_cast<char>(data[0] | 1);
            if (const auto odd = decode_structure(bent)) render_all(*odd);
        }
    }
    // The whole input read as a stored form.
    if (const auto odd = decode_structure(message)) render_all(*odd);
    // Header text to UTF-8: always valid UTF-8, whatever came in.
    check(valid_utf8(decode_rfc2047(message)));
    check(valid_utf8(decode_rfc2231_value(message)));
    return 0;
}
