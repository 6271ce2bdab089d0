// IMAP section numbers to parts of a parsed message (RFC 3501 section 6.4.5), so BODY[1.2.MIME] is a lookup, not a parse.
#include "mail/codec/mime.hpp"

namespace mxlab::codec {

std::optional<std::uint32_t> find_section(const MessageStructure& s, const std::vector<std::uint32_t>& numbers) {
    if (s.parts.empty()) return std::nullopt;
    std::uint32_t container = 0;  // the entity whose parts the next number counts
    std::uint32_t current = 0;
    for (std::size_t k = 0; k < numbers.size(); ++k) {
        const std::uint32_t n = numbers[k];
        if (n == 0) return std::nullopt;
        const MimePart& c = s.parts[container];
        if (c.kind == PartKind::multipart) {
            std::uint32_t child = c.first_child;
            for (std::uint32_t i = 1; i < n && child != 0; ++i) child = s.parts[child].next_sibling;
            if (child == 0) return std::nullopt;
            current = child;
        } else {
            // A message that is not multipart: "1" is its body.
            if (n != 1) return std::nullopt;
            current = container;
        }
        if (k + 1 == numbers.size()) break;
        const MimePart& p = s.parts[current];
        if (p.kind == PartKind::message) {
            container = p.first_child;  // numbers go on inside the embedded message
        } else if (p.kind == PartKind::multipart) {
            container = current;
        } else {
            return std::nullopt;  // a leaf has no parts
        }
    }
    return current;
}

}  // namespace mxlab::codec
