// Formats an SMTP reply for the wire: RFC 5321 section 4.2 multiline replies with RFC 2034 enhanced codes.
#include "mail/smtp/reply.hpp"

namespace mxlab::smtp {

std::string format(const Reply& reply, bool enhanced_codes) {
    const std::string code = std::to_string(reply.code);
    const bool with_enhanced = enhanced_codes && !reply.enhanced.empty();
    std::string out;
    out.reserve(reply.text.size() + 16);
    std::string_view rest = reply.text;
    for (;;) {
        const std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        const bool last = nl == std::string_view::npos;
        // RFC 5321 section 4.2.1: "250-" on every line but the last, "250 " on the last.
        out += code;
        if (with_enhanced) {
            // RFC 2034 section 3: each line of a multiline reply carries the same enhanced code.
            out += last ? ' ' : '-';
            out += reply.enhanced;
            if (!line.empty()) out += ' ';
        } else if (!line.empty()) {
            out += last ? ' ' : '-';
        } else if (!last) {
            out += '-';  // an empty continuation line is "250-" (RFC 5321 section 4.2: textstring is optional)
        }
        // Texts can echo what a client sent (an address, a HELO name); a CR
        // there must not end the line early and start a forged reply.
        const std::size_t start = out.size();
        out += line;
        for (std::size_t i = start; i < out.size(); ++i) {
            if (out[i] == '\r') out[i] = ' ';
        }
        out += "\r\n";
        if (last) break;
        rest.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace mxlab::smtp
