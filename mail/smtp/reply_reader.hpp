// The SMTP client's reply parser (RFC 5321 section 4.2, RFC 2034, RFC 3463): bytes in, whole replies out; pure.
//
// Lenient where Postfix's smtp client is: a bare LF ends a line as well as
// CRLF, and a line that is only a code ("250") is a whole last line. Strict
// where a confused reader would pair replies with the wrong commands (and,
// with PIPELINING, lose mail): every line starts with a reply code (first
// digit 2 to 5, RFC 5321 section 4.2) followed by ' ', '-' or the line end,
// and continuation lines repeat the first line's code (section 4.2.1). A line
// over 4096 octets or a reply over 200 lines is an error too: they bound the
// memory a server can make us hold. An error is final, since the connection
// can no longer be trusted to be in step.
//
// An RFC 3463 enhanced status code ("x.y.z" after the code, RFC 2034 section
// 3) on the first line goes to Reply::enhanced when its class matches the
// reply code's first digit, and is taken off every line that repeats it.
// Control characters in the text become '?', as in Postfix, since the text
// ends up in logs and bounces.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mail/smtp/reply.hpp"

namespace mxlab::smtp {

inline constexpr std::size_t max_reply_line = 4096;  // octets, without the line end
inline constexpr std::size_t max_reply_lines = 200;

class ReplyReader {
public:
    // Takes what a read brought; the input may be split anywhere.
    void feed(std::string_view bytes);

    // The next complete reply, or nullopt when more input is needed or the
    // reader has failed (then failed() says so, and it stays so).
    std::optional<Reply> next();

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }  // why, for the log: "malformed reply line \"...\""

    // Octets fed that are not part of a reply next() returned. After the 220
    // to STARTTLS this must be false: anything the server sent before the
    // handshake would otherwise be read as if it came over TLS (RFC 3207
    // section 4.2, the "STARTTLS command injection" of CVE-2011-0411).
    bool pending() const { return pos_ < buf_.size() || lines_ > 0; }

private:
    // Adds one line (without its line end) to reply_; false sets error_.
    bool add_line(std::string_view line, bool& last);
    bool fail(std::string why);

    std::string buf_;        // unparsed input, from pos_ on
    std::size_t pos_ = 0;    // start of the first line not yet parsed
    std::size_t scan_ = 0;   // where the search for the next LF resumes
    Reply reply_;            // the reply being assembled
    std::size_t lines_ = 0;  // lines in reply_ so far
    std::string error_;
};

// The reply on one line, its lines joined by spaces, for logs and DSNs:
// "550 5.1.1 <x@bigsky.com>: Recipient address rejected".
std::string one_line(const Reply& reply);

}  // namespace mxlab::smtp
