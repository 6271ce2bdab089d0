// libFuzzer target: POP3 command lines through mail/pop3/command (whole sessions: pop3_session_fuzz.cpp).
//
// Input: what the client sends, cut into lines at LF. Checks that nothing
// crashes and that the parser's values keep their promises: numbers where
// required, PASS's text is the line's rest, USER's a single word, refusals
// one line of text.
#include "mail/pop3/command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

namespace {

using mxlab::pop3::Command;
using mxlab::pop3::SyntaxError;
using mxlab::pop3::Verb;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_line(std::string_view line) {
    const auto parsed = mxlab::pop3::parse_command(line);
    if (const auto* e = std::get_if<SyntaxError>(&parsed)) {
        check(!e->text.empty() && e->text.find_first_of("\r\n") == std::string::npos);
        return;
    }
    const auto& c = std::get<Command>(parsed);
    check(line.find('\0') == std::string_view::npos);
    check(line.substr(0, c.keyword.size()) == c.keyword);
    switch (c.verb) {
    case Verb::retr:
    case Verb::dele:
    case Verb::top:
        check(c.number.has_value());
        break;
    case Verb::pass:
        check(!c.arg.empty() && line.size() == 5 + c.arg.size() && line.substr(5) == c.arg);
        break;
    case Verb::user:
        check(!c.arg.empty() && c.arg.find(' ') == std::string::npos);
        break;
    default:
        break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    for (std::size_t pos = 0; pos <= input.size();) {
        std::size_t eol = input.find('\n', pos);
        if (eol == std::string_view::npos) eol = input.size();
        std::string_view line = input.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        check_line(line);
        pos = eol + 1;
    }
    return 0;
}
