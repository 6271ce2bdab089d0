// SMTP command lines (RFC 5321 section 4.1, RFC 1869, RFC 1870, RFC 6152, RFC 6531, RFC 3030, RFC 4954) parsed into values; pure.
//
// The parser knows nothing about the session's state: it checks only what a
// line says. Errors come back as the Reply to send, with the code RFC 5321
// section 4.2.3 gives for the case (500/501/504/555, 553 5.6.7 for non-ASCII
// without SMTPUTF8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mail/smtp/reply.hpp"

namespace mxlab::smtp {

// The longest command line, CRLF included (RFC 5321 section 4.5.3.1.4); SMTPUTF8
// and AUTH= parameters make longer MAIL lines legal, so the session allows
// max_command_line + 512 for MAIL and RCPT (RFC 1869 section 6).
inline constexpr std::size_t max_command_line = 512;

enum class Verb { ehlo, helo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

// A reverse-path or forward-path. `address` is empty for the null path <>
// (MAIL only) and otherwise "local@domain" as it goes back on the wire: the
// local part bare when it is a Dot-string, re-quoted only when it must be
// ("\"abc\"@x" gives `abc@x`, "\"a b\"@x" stays `"a b"@x`). `local` is the
// local part unquoted (`a b`), case kept; `domain` is in lower case (an
// address literal as "[192.0.2.1]" or "[IPv6:2001:db8::1]"; one trailing dot
// dropped). A source route ("<@a,@b:u@d>") is accepted and dropped (RFC 5321
// section 4.1.2, C.1). "<postmaster>" without a domain is accepted for RCPT
// (RFC 5321 section 4.1.1.3): local "postmaster", empty domain.
struct Path {
    std::string address;
    std::string local;
    std::string domain;
    bool utf8 = false;  // contains non-ASCII (needs SMTPUTF8)
};

enum class Body { seven_bit, eight_bit_mime, binary_mime };

struct MailParams {
    std::optional<std::uint64_t> size;  // SIZE= (RFC 1870)
    Body body = Body::seven_bit;        // BODY= (RFC 6152, RFC 3030)
    bool smtputf8 = false;              // SMTPUTF8 (RFC 6531)
    std::optional<std::string> auth;    // AUTH=<mailbox> (RFC 4954 section 5), xtext-decoded; "<>" kept as "<>"
};

struct Command {
    Verb verb = Verb::unknown;
    // The text after the verb, leading and trailing spaces removed:
    // EHLO/HELO domain or address literal, VRFY/EXPN/HELP argument, AUTH
    // "MECHANISM [initial-response]", the unknown verb's whole line.
    std::string arg;
    Path path;          // MAIL, RCPT
    MailParams mail;    // MAIL
    std::uint64_t chunk_size = 0;  // BDAT
    bool last = false;             // BDAT ... LAST
};

// `line` is one command line without its CRLF. Verbs are case-insensitive.
// EHLO/HELO need an argument (501 5.5.4); MAIL needs "FROM:" and RCPT "TO:"
// (501 5.5.4; a space after the colon is tolerated, as Postfix does); a path
// may come without angle brackets, as Postfix takes it by default
// ("RCPT TO: bob@sina.com"), but then only keyword=value parameters may follow
// it; a bad path is 501 5.1.7 for MAIL, 501 5.1.3 for RCPT; unknown
// parameters get 555 5.5.4; DATA/RSET/QUIT/STARTTLS with an argument get
// 501 5.5.4; control characters (other than HTAB) after a known verb get
// 501 5.5.2. An unknown verb is not an error here: it comes back as
// Verb::unknown with the whole line in `arg`, for the session to answer
// 500 5.5.2 (or to hang up on "GET /"). Non-ASCII in a path is an error
// (553 5.6.7) unless `utf8_allowed` (SMTPUTF8 advertised and, for RCPT, given
// on MAIL) — MAIL's own SMTPUTF8 parameter counts, whatever the order;
// malformed UTF-8 there is 501. A SIZE that does not fit 64 bits gets
// 552 5.3.4, as in Postfix. RFC 3461 DSN parameters (MAIL RET/ENVID, RCPT
// NOTIFY/ORCPT) are syntax-checked (501 5.5.4) and ignored, as Postfix with
// DSN on takes them, though DSN is not advertised.
std::variant<Command, Reply> parse_command(std::string_view line, bool utf8_allowed = true);

// RFC 3461 section 4 xtext decoding ("+2B" -> "+"); nullopt when malformed.
std::optional<std::string> decode_xtext(std::string_view text);

}  // namespace mxlab::smtp
