// POP3 command lines into values: keyword lookup, then each verb's arguments; see command.hpp.
#include "mail/pop3/command.hpp"

#include <array>
#include <limits>
#include <utility>
#include <vector>

#include "core/ascii.hpp"

namespace mxlab::pop3 {

namespace {

Verb lookup(std::string_view keyword) {
    static constexpr std::array<std::pair<std::string_view, Verb>, 14> verbs{{
        {"USER", Verb::user}, {"PASS", Verb::pass}, {"AUTH", Verb::auth}, {"STAT", Verb::stat},
        {"LIST", Verb::list}, {"RETR", Verb::retr}, {"DELE", Verb::dele}, {"RSET", Verb::rset},
        {"NOOP", Verb::noop}, {"TOP", Verb::top},   {"UIDL", Verb::uidl}, {"CAPA", Verb::capa},
        {"STLS", Verb::stls}, {"QUIT", Verb::quit},
    }};
    // RFC 1939 section 3: keywords are three or four characters.
    if (keyword.size() < 3 || keyword.size() > 4) return Verb::unknown;
    for (const auto& [name, verb] : verbs)
        if (iequals(keyword, name)) return verb;
    return Verb::unknown;
}

// Arguments separated by one or more spaces; leading and trailing spaces dropped.
std::vector<std::string_view> split(std::string_view rest) {
    std::vector<std::string_view> args;
    std::size_t pos = 0;
    while (pos < rest.size()) {
        if (rest[pos] == ' ') {
            ++pos;
            continue;
        }
        std::size_t end = rest.find(' ', pos);
        if (end == std::string_view::npos) end = rest.size();
        args.push_back(rest.substr(pos, end - pos));
        pos = end;
    }
    return args;
}

}  // namespace

std::optional<std::uint64_t> parse_number(std::string_view text) {
    if (text.empty()) return std::nullopt;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        n = n > (max - d) / 10 ? max : n * 10 + d;
    }
    return n;
}

std::variant<Command, SyntaxError> parse_command(std::string_view line) {
    if (line.find('\0') != std::string_view::npos) return SyntaxError{"NUL in command."};
    const std::size_t sp = line.find(' ');
    Command c;
    c.keyword = std::string(line.substr(0, sp));
    c.verb = lookup(c.keyword);
    const std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);

    if (c.verb == Verb::unknown) return c;
    if (c.verb == Verb::pass) {
        // RFC 1939 section 7 names one argument; a password may hold spaces, so take the rest.
        if (rest.empty()) return SyntaxError{"No password given."};
        c.arg = std::string(rest);
        return c;
    }

    const auto args = split(rest);
    auto arity = [&](std::size_t min, std::size_t max) -> std::optional<SyntaxError> {
        if (args.size() < min) return SyntaxError{"Missing argument."};
        if (args.size() > max) return SyntaxError{"Too many arguments."};
        return std::nullopt;
    };
    auto number = [&](std::size_t i) -> std::optional<SyntaxError> {
        c.number = parse_number(args[i]);
        if (!c.number) return SyntaxError{"Invalid message number."};
        return std::nullopt;
    };

    std::optional<SyntaxError> err;
    switch (c.verb) {
    case Verb::user:
        if ((err = arity(1, 1))) return *err;
        c.arg = std::string(args[0]);
        return c;
    case Verb::auth:
        // RFC 5034 section 4: AUTH mechanism [initial-response]; a bare AUTH lists the mechanisms (as Dovecot).
        if ((err = arity(0, 2))) return *err;
        if (!args.empty()) c.arg = std::string(args[0]);
        if (args.size() == 2) c.initial_response = std::string(args[1]);
        return c;
    case Verb::list:
    case Verb::uidl:
        if ((err = arity(0, 1))) return *err;
        if (args.size() == 1 && (err = number(0))) return *err;
        return c;
    case Verb::retr:
    case Verb::dele:
        if ((err = arity(1, 1)) || (err = number(0))) return *err;
        return c;
    case Verb::top: {
        if ((err = arity(2, 2)) || (err = number(0))) return *err;
        const auto lines = parse_number(args[1]);
        if (!lines) return SyntaxError{"Invalid number of lines."};
        c.lines = *lines;
        return c;
    }
    default:  // STAT RSET NOOP CAPA STLS QUIT take none
        if ((err = arity(0, 0))) return *err;
        return c;
    }
}

}  // namespace mxlab::pop3
