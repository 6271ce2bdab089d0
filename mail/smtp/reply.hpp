// An SMTP reply (RFC 5321 section 4.2) with its enhanced status code (RFC 3463, RFC 2034).
#pragma once

#include <string>
#include <string_view>

namespace mxlab::smtp {

struct Reply {
    int code = 0;          // 250, 354, 550, ...
    std::string enhanced;  // "2.1.0"; empty for replies that never carry one (220 greeting, 354, EHLO)
    std::string text;      // several lines separated by '\n' make a multiline reply

    bool positive() const { return code >= 200 && code < 400; }
    bool permanent() const { return code >= 500; }
};

// "250-first\r\n250 2.0.0 last\r\n": the enhanced code goes on every line when
// `enhanced_codes` is on and the reply has one (RFC 2034 section 3).
std::string format(const Reply& reply, bool enhanced_codes = true);

}  // namespace mxlab::smtp
