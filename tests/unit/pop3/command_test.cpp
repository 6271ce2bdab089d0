// Unit tests for mail/pop3/command: POP3 command lines into values, each check citing its RFC section.
#include "mail/pop3/command.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace mxlab::pop3 {
namespace {

Command ok(std::string_view line) {
    auto r = parse_command(line);
    if (const auto* e = std::get_if<SyntaxError>(&r)) {
        ADD_FAILURE() << "'" << line << "': " << e->text;
        return {};
    }
    return std::get<Command>(r);
}

std::string refused(std::string_view line) {
    auto r = parse_command(line);
    if (const auto* e = std::get_if<SyntaxError>(&r)) return e->text;
    ADD_FAILURE() << "'" << line << "' parsed";
    return {};
}

// RFC 1939 section 3: keywords are case-insensitive.
TEST(Pop3Command, KeywordsAnyCase) {
    EXPECT_EQ(ok("STAT").verb, Verb::stat);
    EXPECT_EQ(ok("stat").verb, Verb::stat);
    EXPECT_EQ(ok("sTaT").verb, Verb::stat);
    EXPECT_EQ(ok("top 1 2").verb, Verb::top);
    EXPECT_EQ(ok("Capa").verb, Verb::capa);
    EXPECT_EQ(ok("stls").verb, Verb::stls);
    EXPECT_EQ(ok("quit").verb, Verb::quit);
    EXPECT_EQ(ok("noop").verb, Verb::noop);
    EXPECT_EQ(ok("rset").verb, Verb::rset);
}

// RFC 1939 section 3: unknown keywords (and APOP, not offered) are for the session to refuse.
TEST(Pop3Command, UnknownKeywords) {
    EXPECT_EQ(ok("APOP mrose c4c9334bac560ecc979e58001b3e22fb").verb, Verb::unknown);
    EXPECT_EQ(ok("LAST").verb, Verb::unknown);  // RFC 1725's, dropped by RFC 1939
    EXPECT_EQ(ok("GET / HTTP/1.1").verb, Verb::unknown);
    EXPECT_EQ(ok("GET / HTTP/1.1").keyword, "GET");
    EXPECT_EQ(ok("").verb, Verb::unknown);
    EXPECT_EQ(ok(" STAT").verb, Verb::unknown);
    EXPECT_EQ(ok("STATS").verb, Verb::unknown);
    EXPECT_EQ(ok("RETR\t1").verb, Verb::unknown);  // a TAB is no separator
    EXPECT_EQ(ok("ST").verb, Verb::unknown);
}

// RFC 1939 section 7 USER name / PASS string; PASS keeps spaces (as Dovecot).
TEST(Pop3Command, UserPass) {
    auto u = ok("USER bob@sina.com");
    EXPECT_EQ(u.verb, Verb::user);
    EXPECT_EQ(u.arg, "bob@sina.com");
    EXPECT_EQ(ok("user  bob ").arg, "bob");
    EXPECT_EQ(refused("USER"), "Missing argument.");
    EXPECT_EQ(refused("USER a b"), "Too many arguments.");
    auto p = ok("PASS my secret  pass ");
    EXPECT_EQ(p.verb, Verb::pass);
    EXPECT_EQ(p.arg, "my secret  pass ");
    EXPECT_EQ(ok("PASS  lead").arg, " lead");
    EXPECT_EQ(refused("PASS"), "No password given.");
    EXPECT_EQ(refused("PASS "), "No password given.");
}

// RFC 5034 section 4: AUTH mechanism [initial-response]; a bare AUTH lists mechanisms.
TEST(Pop3Command, Auth) {
    auto a = ok("AUTH PLAIN AGJvYgBib2IxMjM=");
    EXPECT_EQ(a.verb, Verb::auth);
    EXPECT_EQ(a.arg, "PLAIN");
    ASSERT_TRUE(a.initial_response);
    EXPECT_EQ(*a.initial_response, "AGJvYgBib2IxMjM=");
    auto b = ok("auth plain");
    EXPECT_EQ(b.arg, "plain");
    EXPECT_FALSE(b.initial_response);
    EXPECT_EQ(ok("AUTH PLAIN =").initial_response, std::optional<std::string>("="));
    EXPECT_TRUE(ok("AUTH").arg.empty());
    EXPECT_EQ(refused("AUTH PLAIN a b"), "Too many arguments.");
}

// RFC 1939 sections 5 and 7: LIST/UIDL [msg], RETR/DELE msg, TOP msg n.
TEST(Pop3Command, MessageNumbers) {
    EXPECT_FALSE(ok("LIST").number);
    EXPECT_EQ(ok("LIST 2").number, std::optional<std::uint64_t>(2));
    EXPECT_EQ(ok("UIDL 10").number, std::optional<std::uint64_t>(10));
    EXPECT_FALSE(ok("UIDL").number);
    EXPECT_EQ(ok("RETR 1").number, std::optional<std::uint64_t>(1));
    EXPECT_EQ(ok("DELE 3").number, std::optional<std::uint64_t>(3));
    EXPECT_EQ(ok("RETR 0").number, std::optional<std::uint64_t>(0));  // parses; names no message
    EXPECT_EQ(ok("RETR 007").number, std::optional<std::uint64_t>(7));
    auto t = ok("TOP 1 10");
    EXPECT_EQ(t.number, std::optional<std::uint64_t>(1));
    EXPECT_EQ(t.lines, 10u);
    EXPECT_EQ(ok("TOP 1 0").lines, 0u);
    // Runs of spaces and trailing spaces are tolerated, as Dovecot does.
    EXPECT_EQ(ok("RETR  1 ").number, std::optional<std::uint64_t>(1));
    EXPECT_EQ(ok("TOP 2  3").lines, 3u);
}

// RFC 1939 section 3: msg is 1*DIGIT; no sign, no other characters.
TEST(Pop3Command, BadNumbers) {
    EXPECT_EQ(refused("RETR"), "Missing argument.");
    EXPECT_EQ(refused("RETR +1"), "Invalid message number.");
    EXPECT_EQ(refused("RETR -1"), "Invalid message number.");
    EXPECT_EQ(refused("RETR 1x"), "Invalid message number.");
    EXPECT_EQ(refused("RETR 0x10"), "Invalid message number.");
    EXPECT_EQ(refused("LIST 1\t"), "Invalid message number.");
    EXPECT_EQ(refused("RETR 1 2"), "Too many arguments.");
    EXPECT_EQ(refused("DELE"), "Missing argument.");
    EXPECT_EQ(refused("TOP 1"), "Missing argument.");
    EXPECT_EQ(refused("TOP 1 -1"), "Invalid number of lines.");
    EXPECT_EQ(refused("TOP x 1"), "Invalid message number.");
    EXPECT_EQ(refused("LIST 1 2"), "Too many arguments.");
}

// Overflow-safe: numbers saturate (then "no such message"; TOP sends the whole body).
TEST(Pop3Command, NumbersSaturate) {
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(parse_number("18446744073709551615"), max);
    EXPECT_EQ(parse_number("18446744073709551616"), max);
    EXPECT_EQ(parse_number("99999999999999999999999999999999999999"), max);
    EXPECT_EQ(parse_number("18446744073709551614"), max - 1);
    EXPECT_EQ(ok("TOP 1 99999999999999999999999").lines, max);
    EXPECT_FALSE(parse_number(""));
    EXPECT_EQ(parse_number("0"), 0u);
}

// RFC 1939 section 5 commands take no arguments beyond the ones listed.
TEST(Pop3Command, NoArgumentCommands) {
    for (std::string_view v : {"STAT", "RSET", "NOOP", "CAPA", "STLS", "QUIT"}) {
        EXPECT_EQ(refused(std::string(v) + " x"), "Too many arguments.") << v;
        EXPECT_NE(ok(std::string(v) + " ").verb, Verb::unknown) << v;
    }
}

// A NUL never reaches a handler (it would cut a C string in a log or a directory lookup).
TEST(Pop3Command, Nul) {
    EXPECT_EQ(refused(std::string_view("USER a\0b", 8)), "NUL in command.");
    EXPECT_EQ(refused(std::string_view("PASS a\0b", 8)), "NUL in command.");
}

}  // namespace
}  // namespace mxlab::pop3
