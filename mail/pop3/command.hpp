// POP3 command lines (RFC 1939 section 3, RFC 2449, RFC 2595, RFC 5034) parsed into values; pure.
//
// The parser knows nothing about the session's state: it checks only what a
// line says. How lenient it is, and why:
// - RFC 2449 section 4 caps a command line at 255 octets and an argument at
//   40 characters. Real clients go past both (long passwords, AUTH PLAIN
//   initial responses), and Dovecot accepts lines up to 4 KiB; so the
//   session allows Limits::max_line and the parser caps no argument. Numbers
//   saturate instead of overflowing.
// - RFC 1939 section 3 separates arguments by a single SPACE. Runs of spaces
//   and trailing spaces are accepted (as Dovecot's get_msgnum() skips them);
//   a TAB is not a separator (neither RFC nor Dovecot make it one), so
//   "RETR\t1" is an unknown keyword and "LIST 1\t" a bad number.
// - PASS takes the rest of the line after "PASS ", spaces included, as
//   Dovecot does: passwords may contain spaces.
// Errors come back as the text to send after "-ERR ".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mxlab::pop3 {

// RFC 2449 section 4's limit, CRLF included: what clients must stay under.
inline constexpr std::size_t rfc_max_line = 255;

// APOP is not offered (DESIGN.md section 5); it parses as unknown.
enum class Verb { user, pass, auth, stat, list, retr, dele, rset, noop, top, uidl, capa, stls, quit, unknown };

struct Command {
    Verb verb = Verb::unknown;
    std::string keyword;  // as written (the unknown keyword, for logs)
    // USER: the name; PASS: the password (the rest of the line); AUTH: the
    // mechanism as written, empty for a bare "AUTH" (list the mechanisms).
    std::string arg;
    std::optional<std::string> initial_response;  // AUTH's second argument (RFC 5034 section 4)
    // LIST/UIDL: the optional message number; RETR/DELE/TOP: the required one.
    // 1*DIGIT; saturates at UINT64_MAX (then "no such message"); 0 parses and
    // names no message.
    std::optional<std::uint64_t> number;
    std::uint64_t lines = 0;  // TOP's line count, saturated (more than any message has)
};

struct SyntaxError {
    std::string text;  // sent as "-ERR <text>"
};

// `line` is one command line without its CRLF. Keywords are
// case-insensitive (RFC 1939 section 3). A NUL anywhere is an error.
std::variant<Command, SyntaxError> parse_command(std::string_view line);

// RFC 1939 message numbers and TOP's line count: 1*DIGIT (no sign, no
// spaces), saturating at UINT64_MAX; nullopt when not all digits or empty.
std::optional<std::uint64_t> parse_number(std::string_view text);

}  // namespace mxlab::pop3
