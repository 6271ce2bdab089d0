// Tests for mail/smtp/command: verbs, paths, ESMTP parameters and xtext, each against the RFC section it checks.
#include "mail/smtp/command.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxlab::smtp {
namespace {

using namespace std::literals;

Command parsed(std::string_view line, bool utf8_allowed = true) {
    auto result = parse_command(line, utf8_allowed);
    if (const auto* r = std::get_if<Reply>(&result)) {
        ADD_FAILURE() << "\"" << line << "\" was refused: " << r->code << " " << r->enhanced << " " << r->text;
        return {};
    }
    return std::get<Command>(result);
}

Reply refused(std::string_view line, bool utf8_allowed = true) {
    auto result = parse_command(line, utf8_allowed);
    if (const auto* r = std::get_if<Reply>(&result)) return *r;
    ADD_FAILURE() << "\"" << line << "\" was accepted";
    return {};
}

// Checks code and enhanced code of a refusal.
#define EXPECT_REFUSED(line, code_, enhanced_)            \
    do {                                                  \
        SCOPED_TRACE(line);                               \
        const Reply r_ = refused(line);                   \
        EXPECT_EQ(r_.code, code_) << r_.text;             \
        EXPECT_EQ(r_.enhanced, enhanced_) << r_.text;     \
    } while (0)

// RFC 5321 section 4.1.1: every verb the session knows.
TEST(ParseCommand, EveryVerb) {
    const std::pair<std::string_view, Verb> cases[] = {
        {"EHLO client.example", Verb::ehlo},  {"HELO client.example", Verb::helo},
        {"MAIL FROM:<a@b.example>", Verb::mail}, {"RCPT TO:<a@b.example>", Verb::rcpt},
        {"DATA", Verb::data},                  {"BDAT 10", Verb::bdat},
        {"RSET", Verb::rset},                  {"NOOP", Verb::noop},
        {"QUIT", Verb::quit},                  {"VRFY someone", Verb::vrfy},
        {"EXPN list", Verb::expn},             {"HELP", Verb::help},
        {"STARTTLS", Verb::starttls},          {"AUTH PLAIN", Verb::auth},
    };
    for (const auto& [line, verb] : cases) {
        SCOPED_TRACE(line);
        EXPECT_EQ(parsed(line).verb, verb);
    }
}

// RFC 5321 section 2.4: verbs and the FROM:/TO: keywords are case-insensitive.
TEST(ParseCommand, CaseInsensitive) {
    EXPECT_EQ(parsed("ehlo client.example").verb, Verb::ehlo);
    EXPECT_EQ(parsed("StartTls").verb, Verb::starttls);
    const Command m = parsed("mAiL fRoM:<a@b.example>");
    EXPECT_EQ(m.verb, Verb::mail);
    EXPECT_EQ(m.path.address, "a@b.example");
    EXPECT_EQ(parsed("rcpt to:<a@b.example>").verb, Verb::rcpt);
    EXPECT_TRUE(parsed("bdat 5 last").last);
}

// RFC 5321 section 4.1.1.1: the argument; surrounding spaces are not part of it.
TEST(ParseCommand, ArgumentIsTrimmed) {
    EXPECT_EQ(parsed("EHLO  client.example  ").arg, "client.example");
    EXPECT_EQ(parsed("HELO [192.0.2.1]").arg, "[192.0.2.1]");
    EXPECT_EQ(parsed("AUTH PLAIN  dGVzdA==").arg, "PLAIN  dGVzdA==");
    EXPECT_EQ(parsed("VRFY Smith").arg, "Smith");
    EXPECT_EQ(parsed("HELP MAIL").arg, "MAIL");
    EXPECT_EQ(parsed("NOOP anything at all").verb, Verb::noop);  // RFC 5321 section 4.1.1.9
    EXPECT_EQ(parsed("DATA  ").verb, Verb::data);
}

// RFC 5321 section 4.1.1.1, 4.1.1.6, 4.1.1.7, RFC 4954 section 4: required arguments.
TEST(ParseCommand, MissingArgument) {
    EXPECT_REFUSED("EHLO", 501, "5.5.4");
    EXPECT_REFUSED("HELO   ", 501, "5.5.4");
    EXPECT_REFUSED("VRFY", 501, "5.5.4");
    EXPECT_REFUSED("EXPN", 501, "5.5.4");
    EXPECT_REFUSED("AUTH", 501, "5.5.4");
    EXPECT_REFUSED("MAIL", 501, "5.5.4");
    EXPECT_REFUSED("RCPT", 501, "5.5.4");
}

// RFC 5321 section 4.1.1.4, 4.1.1.5, 4.1.1.10, RFC 3207 section 4: no argument allowed.
TEST(ParseCommand, UnexpectedArgument) {
    EXPECT_REFUSED("DATA now", 501, "5.5.4");
    EXPECT_REFUSED("RSET x", 501, "5.5.4");
    EXPECT_REFUSED("QUIT bye", 501, "5.5.4");
    EXPECT_REFUSED("STARTTLS x", 501, "5.5.4");
}

// RFC 5321 section 4.2.4: an unknown verb is the session's 500 5.5.2; the
// parser hands it the whole line (it may hang up on an HTTP request).
TEST(ParseCommand, UnknownVerb) {
    for (std::string_view line : {"FOO bar"sv, "GET / HTTP/1.1"sv, "MAILFROM:<a@b.example>"sv, ""sv, " EHLO x"sv, "TURN"sv}) {
        SCOPED_TRACE(line);
        const Command c = parsed(line);
        EXPECT_EQ(c.verb, Verb::unknown);
        EXPECT_EQ(c.arg, line);
    }
}

// RFC 5321 section 4.1.2: invalid characters get 501; a CR or NUL would reach headers and logs.
TEST(ParseCommand, ControlCharacters) {
    EXPECT_REFUSED("EHLO a\rb"sv, 501, "5.5.2");
    EXPECT_REFUSED("MAIL FROM:<a\0b@x.example>"sv, 501, "5.5.2");
    EXPECT_REFUSED("RCPT TO:<a@x.example>\x7f"sv, 501, "5.5.2");
}

// RFC 5321 section 4.1.1.2 and 4.5.5: the null reverse-path.
TEST(ParsePath, NullReversePath) {
    const Command c = parsed("MAIL FROM:<>");
    EXPECT_EQ(c.path.address, "");
    EXPECT_EQ(c.path.local, "");
    EXPECT_EQ(c.path.domain, "");
    EXPECT_EQ(parsed("MAIL FROM:<> SIZE=10").mail.size, 10u);
    // RFC 5321 section 4.1.1.3: a forward-path is never null.
    EXPECT_REFUSED("RCPT TO:<>", 501, "5.1.3");
}

// RFC 5321 section 4.1.1.3, 4.5.1: "<Postmaster>" with no domain, any case, RCPT only.
TEST(ParsePath, Postmaster) {
    for (std::string_view line : {"RCPT TO:<postmaster>"sv, "RCPT TO:<Postmaster>"sv, "RCPT TO:<POSTMASTER>"sv}) {
        SCOPED_TRACE(line);
        const Command c = parsed(line);
        EXPECT_EQ(c.path.local, "postmaster");
        EXPECT_EQ(c.path.domain, "");
        EXPECT_EQ(c.path.address, "postmaster");
    }
    EXPECT_REFUSED("MAIL FROM:<postmaster>", 501, "5.1.7");
    EXPECT_REFUSED("RCPT TO:<someone>", 501, "5.1.3");
    const Command c = parsed("RCPT TO:<Postmaster@Example.COM>");
    EXPECT_EQ(c.path.local, "Postmaster");  // local parts keep their case (RFC 5321 section 2.4)
    EXPECT_EQ(c.path.domain, "example.com");
}

// RFC 5321 section 2.4: domains are case-insensitive (stored lower-case), local parts are not.
TEST(ParsePath, DomainLowerCasedLocalKept) {
    const Command c = parsed("RCPT TO:<John.Smith@Mail.Example.ORG>");
    EXPECT_EQ(c.path.local, "John.Smith");
    EXPECT_EQ(c.path.domain, "mail.example.org");
    EXPECT_EQ(c.path.address, "John.Smith@mail.example.org");
    EXPECT_FALSE(c.path.utf8);
    EXPECT_EQ(parsed("RCPT TO:<!#$%&'*+-/=?^_`{|}~@x.example>").path.local, "!#$%&'*+-/=?^_`{|}~");
}

// RFC 5321 section 4.1.2: Quoted-string local parts, unquoted in `local`;
// `address` quotes only when a Dot-string would not do.
TEST(ParsePath, QuotedLocalPart) {
    Command c = parsed(R"(RCPT TO:<"a b"@x.example>)");
    EXPECT_EQ(c.path.local, "a b");
    EXPECT_EQ(c.path.address, R"("a b"@x.example)");
    c = parsed(R"(RCPT TO:<"abc"@x.example>)");
    EXPECT_EQ(c.path.local, "abc");
    EXPECT_EQ(c.path.address, "abc@x.example");
    c = parsed(R"(RCPT TO:<"a\"b\\c"@x.example>)");  // quoted-pairSMTP
    EXPECT_EQ(c.path.local, R"(a"b\c)");
    EXPECT_EQ(c.path.address, R"("a\"b\\c"@x.example)");
    c = parsed(R"(MAIL FROM:<"a>b"@x.example>)");  // '>' inside quotes does not close the path
    EXPECT_EQ(c.path.local, "a>b");
    c = parsed(R"(RCPT TO:<""@x.example>)");
    EXPECT_EQ(c.path.local, "");
    EXPECT_EQ(c.path.address, R"(""@x.example)");
    EXPECT_REFUSED(R"(RCPT TO:<"abc@x.example>)", 501, "5.1.3");
    EXPECT_REFUSED(R"(RCPT TO:<"a"b"@x.example>)", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<\"a\tb\"@x.example>", 501, "5.1.3");
}

// RFC 5321 section 4.1.2: Dot-string = Atom *("." Atom).
TEST(ParsePath, BadLocalPart) {
    for (std::string_view line : {"RCPT TO:<.a@x.example>"sv, "RCPT TO:<a.@x.example>"sv, "RCPT TO:<a..b@x.example>"sv,
                                  "RCPT TO:<a b@x.example>"sv, "RCPT TO:<a(b)@x.example>"sv, "RCPT TO:<a@>"sv,
                                  "RCPT TO:<@x.example>"sv, "RCPT TO:<a@b@x.example>"sv, "RCPT TO:<a,b@x.example>"sv}) {
        EXPECT_REFUSED(line, 501, "5.1.3");
    }
}

// RFC 5321 section 4.1.2: Path = "<" ... ">"; Postfix's codes 5.1.7 (sender) and 5.1.3 (recipient).
TEST(ParsePath, AngleBrackets) {
    EXPECT_REFUSED("MAIL FROM:<a@x.example", 501, "5.1.7");
    EXPECT_REFUSED("RCPT TO:a@x.example>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<<a@x.example>>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<a@x.example>>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<a@x.example>SIZE=1", 501, "5.1.3");
    EXPECT_REFUSED("MAIL FROM:", 501, "5.1.7");
    EXPECT_REFUSED("MAIL FROM:<", 501, "5.1.7");
}

// RFC 5321 section 4.1.1.2: "FROM:" and "TO:"; a space after the colon is tolerated, as Postfix does.
TEST(ParsePath, KeywordAndSpace) {
    EXPECT_EQ(parsed("MAIL FROM: <a@x.example>").path.address, "a@x.example");
    EXPECT_EQ(parsed("RCPT TO:  <a@x.example>").path.address, "a@x.example");
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example>   ").path.address, "a@x.example");
    EXPECT_REFUSED("MAIL FROM <a@x.example>", 501, "5.5.4");
    EXPECT_REFUSED("MAIL TO:<a@x.example>", 501, "5.5.4");
    EXPECT_REFUSED("RCPT FROM:<a@x.example>", 501, "5.5.4");
    EXPECT_REFUSED("MAIL FROM :<a@x.example>", 501, "5.5.4");
}

// Issue 13, item 6: what students type in telnet. Postfix (smtpd_strict_rfc821_envelope
// = no, its default) takes an address without <>; so do we, but only a plain
// mailbox followed by nothing or keyword=value parameters.
TEST(ParsePath, BareAddressAsTypedInTelnet) {
    for (const auto* line : {"MAIL FROM: alice@sina.com", "MAIL FROM:alice@sina.com", "mail from:  Alice@Sina.COM  "}) {
        SCOPED_TRACE(line);
        const Command c = parsed(line);
        EXPECT_EQ(c.verb, Verb::mail);
        EXPECT_EQ(c.path.address, line[0] == 'm' ? "Alice@sina.com" : "alice@sina.com");
    }
    Command c = parsed("RCPT TO: bob@sina.com");
    EXPECT_EQ(c.verb, Verb::rcpt);
    EXPECT_EQ(c.path.address, "bob@sina.com");
    EXPECT_EQ(c.path.domain, "sina.com");
    EXPECT_EQ(parsed("RCPT TO:bob@sina.com").path.address, "bob@sina.com");
    EXPECT_EQ(parsed("RCPT TO: postmaster").path.address, "postmaster");  // RFC 5321 section 4.1.1.3
    c = parsed("MAIL FROM: alice@sina.com SIZE=1000 BODY=8BITMIME");
    EXPECT_EQ(c.path.address, "alice@sina.com");
    EXPECT_EQ(c.mail.size, 1000u);
    EXPECT_EQ(parsed("RCPT TO: bob@sina.com NOTIFY=NEVER").path.address, "bob@sina.com");
}

// Anything that could be read two ways is refused, with the bad-address code.
TEST(ParsePath, BareAddressAmbiguousRefused) {
    EXPECT_REFUSED("RCPT TO: bob@sina.com jack@sina.com", 501, "5.1.3");  // two recipients?
    EXPECT_REFUSED("RCPT TO: bob@sina.com jack", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO: <bob@sina.com> jack@sina.com", 501, "5.5.4");  // not a parameter
    EXPECT_REFUSED("MAIL FROM: Alice <alice@sina.com>", 501, "5.1.7");      // an RFC 5322 phrase
    EXPECT_REFUSED("MAIL FROM: alice@sina.com SMTPUTF8", 501, "5.1.7");     // a bare word after a bare address
    EXPECT_REFUSED("MAIL FROM: alice@sina.com>", 501, "5.1.7");             // unbalanced brackets
    EXPECT_REFUSED("RCPT TO: bob@sina.com<", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO: <bob@sina.com", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO: b<ob@sina.com>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO: @relay.example:bob@sina.com", 501, "5.1.3");  // a source route needs <>
    EXPECT_REFUSED("RCPT TO: bob@", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO: bob@sina..com", 501, "5.1.3");
    EXPECT_REFUSED("MAIL FROM: alice", 501, "5.1.7");  // no domain
    EXPECT_REFUSED("RCPT TO: bob@sina.com SIZE=", 501, "5.5.4");
    EXPECT_REFUSED("RCPT TO: bob@sina.com FOO=1", 555, "5.5.4");
    EXPECT_EQ(refused("RCPT TO: jörg@sina.com", false).code, 553);  // RFC 6531 section 3.5, as with <>
}

// RFC 5321 section 4.1.1.3 and appendix C: a source route is accepted and dropped.
TEST(ParsePath, SourceRouteDropped) {
    Command c = parsed("RCPT TO:<@hosta.example,@jkl.example:userc@d.example>");
    EXPECT_EQ(c.path.address, "userc@d.example");
    EXPECT_EQ(c.path.domain, "d.example");
    c = parsed("MAIL FROM:<@a.example:u@b.example>");
    EXPECT_EQ(c.path.address, "u@b.example");
    EXPECT_REFUSED("RCPT TO:<@a.example>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<@a.example,b.example:u@c.example>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<@:u@c.example>", 501, "5.1.3");
    EXPECT_REFUSED("RCPT TO:<@-a.example:u@c.example>", 501, "5.1.3");
}

// RFC 5321 section 4.1.2: Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str].
TEST(ParsePath, DomainSyntax) {
    EXPECT_EQ(parsed("RCPT TO:<u@a-b.x9.example>").path.domain, "a-b.x9.example");
    EXPECT_EQ(parsed("RCPT TO:<u@localhost>").path.domain, "localhost");
    EXPECT_EQ(parsed("RCPT TO:<u@123.example>").path.domain, "123.example");
    // A trailing dot (an absolute name) is dropped, as Postfix does.
    EXPECT_EQ(parsed("RCPT TO:<u@x.example.>").path.address, "u@x.example");
    for (std::string_view line : {"RCPT TO:<u@-a.example>"sv, "RCPT TO:<u@a-.example>"sv, "RCPT TO:<u@a..example>"sv,
                                  "RCPT TO:<u@a_b.example>"sv, "RCPT TO:<u@.example>"sv, "RCPT TO:<u@.>"sv,
                                  "RCPT TO:<u@x.example..>"sv, "RCPT TO:<u@a b.example>"sv}) {
        EXPECT_REFUSED(line, 501, "5.1.3");
    }
    // RFC 1035 section 2.3.4: labels of at most 63 octets; RFC 5321 section 4.5.3.1.2: 255 in all.
    const std::string label63(63, 'a');
    EXPECT_EQ(parsed("RCPT TO:<u@" + label63 + ".example>").path.domain, label63 + ".example");
    EXPECT_REFUSED("RCPT TO:<u@" + label63 + "a.example>", 501, "5.1.3");
    std::string long_domain;
    while (long_domain.size() < 250) long_domain += label63.substr(0, 9) + ".";
    long_domain += "example";
    EXPECT_REFUSED("RCPT TO:<u@" + long_domain + ">", 501, "5.1.3");
}

// RFC 5321 section 4.1.3: address literals as domains.
TEST(ParsePath, AddressLiterals) {
    EXPECT_EQ(parsed("RCPT TO:<u@[192.0.2.1]>").path.domain, "[192.0.2.1]");
    EXPECT_EQ(parsed("RCPT TO:<u@[0.0.0.0]>").path.address, "u@[0.0.0.0]");
    Command c = parsed("RCPT TO:<u@[IPv6:2001:DB8::1]>");
    EXPECT_EQ(c.path.domain, "[IPv6:2001:db8::1]");
    EXPECT_EQ(c.path.address, "u@[IPv6:2001:db8::1]");
    EXPECT_EQ(parsed("RCPT TO:<u@[ipv6:::ffff:192.0.2.1]>").path.domain, "[IPv6:::ffff:192.0.2.1]");
    for (std::string_view line : {"RCPT TO:<u@[256.0.0.1]>"sv, "RCPT TO:<u@[1.2.3]>"sv, "RCPT TO:<u@[1.2.3.4.5]>"sv,
                                  "RCPT TO:<u@[1.2.3.4>"sv, "RCPT TO:<u@[]>"sv, "RCPT TO:<u@[IPv6:zz::1]>"sv,
                                  "RCPT TO:<u@[IPv6:]>"sv, "RCPT TO:<u@[IPv6:1:2:3:4:5:6:7:8:9]>"sv,
                                  "RCPT TO:<u@[x-tag:foo]>"sv, "RCPT TO:<u@[1.2.3.4]x>"sv, "RCPT TO:<u@[1.2.3.4].example>"sv,
                                  "RCPT TO:<u@[1234.2.3.4]>"sv}) {
        EXPECT_REFUSED(line, 501, "5.1.3");
    }
}

// RFC 1870 section 3 and 6: SIZE=digits; garbage 501, more than 64 bits 552 (as Postfix).
TEST(MailParams, Size) {
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> SIZE=1000").mail.size, 1000u);
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> size=0").mail.size, 0u);
    EXPECT_FALSE(parsed("MAIL FROM:<a@x.example>").mail.size.has_value());
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> SIZE=18446744073709551615").mail.size, UINT64_MAX);
    EXPECT_REFUSED("MAIL FROM:<a@x.example> SIZE=18446744073709551616", 552, "5.3.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> SIZE=99999999999999999999999999", 552, "5.3.4");
    for (std::string_view line : {"MAIL FROM:<a@x.example> SIZE=abc"sv, "MAIL FROM:<a@x.example> SIZE=-1"sv,
                                  "MAIL FROM:<a@x.example> SIZE=+1"sv, "MAIL FROM:<a@x.example> SIZE=1k"sv,
                                  "MAIL FROM:<a@x.example> SIZE="sv, "MAIL FROM:<a@x.example> SIZE"sv,
                                  "MAIL FROM:<a@x.example> SIZE=1 SIZE=2"sv}) {
        EXPECT_REFUSED(line, 501, "5.5.4");
    }
}

// RFC 6152 section 2, RFC 3030 section 3: BODY=7BIT | 8BITMIME | BINARYMIME.
TEST(MailParams, Body) {
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example>").mail.body, Body::seven_bit);
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> BODY=7BIT").mail.body, Body::seven_bit);
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> BODY=8BITMIME").mail.body, Body::eight_bit_mime);
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> body=8bitmime").mail.body, Body::eight_bit_mime);
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> BODY=BINARYMIME").mail.body, Body::binary_mime);
    EXPECT_REFUSED("MAIL FROM:<a@x.example> BODY=9BIT", 555, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> BODY", 501, "5.5.4");
}

// RFC 1869 section 6, RFC 5321 section 4.1.1.11: unrecognized parameters get 555.
TEST(MailParams, UnknownParameters) {
    EXPECT_REFUSED("MAIL FROM:<a@x.example> FOO=bar", 555, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> XYZZY", 555, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> SIZE=1 REQUIRETLS", 555, "5.5.4");
    // MAIL-only parameters on RCPT.
    EXPECT_REFUSED("RCPT TO:<a@x.example> SIZE=1", 555, "5.5.4");
    EXPECT_REFUSED("RCPT TO:<a@x.example> SMTPUTF8", 555, "5.5.4");
    EXPECT_REFUSED("RCPT TO:<a@x.example> BODY=8BITMIME", 555, "5.5.4");
    // RCPT-only parameters on MAIL.
    EXPECT_REFUSED("MAIL FROM:<a@x.example> NOTIFY=NEVER", 555, "5.5.4");
    // Not an esmtp-param at all (RFC 5321 section 4.1.2).
    EXPECT_REFUSED("MAIL FROM:<a@x.example> =x", 501, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> -X=1", 501, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> SIZE=1=2", 501, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> <b@x.example>", 501, "5.5.4");
}

// RFC 1869 section 4.1: parameters are separated by spaces; several are tolerated.
TEST(MailParams, Several) {
    const Command c = parsed("MAIL FROM:<a@x.example>  SIZE=12   BODY=8BITMIME SMTPUTF8 AUTH=<>");
    EXPECT_EQ(c.mail.size, 12u);
    EXPECT_EQ(c.mail.body, Body::eight_bit_mime);
    EXPECT_TRUE(c.mail.smtputf8);
    EXPECT_EQ(c.mail.auth, "<>");
}

// RFC 6531 section 3.4: SMTPUTF8 has no value.
TEST(MailParams, Smtputf8) {
    EXPECT_TRUE(parsed("MAIL FROM:<a@x.example> SMTPUTF8").mail.smtputf8);
    EXPECT_TRUE(parsed("MAIL FROM:<a@x.example> smtputf8").mail.smtputf8);
    EXPECT_FALSE(parsed("MAIL FROM:<a@x.example>").mail.smtputf8);
    EXPECT_REFUSED("MAIL FROM:<a@x.example> SMTPUTF8=yes", 501, "5.5.4");
}

// RFC 4954 section 5: AUTH=xtext, "<>" kept.
TEST(MailParams, Auth) {
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> AUTH=<>").mail.auth, "<>");
    EXPECT_EQ(parsed("MAIL FROM:<a@x.example> AUTH=e+2Bf@x.example").mail.auth, "e+f@x.example");
    EXPECT_FALSE(parsed("MAIL FROM:<a@x.example>").mail.auth.has_value());
    EXPECT_REFUSED("MAIL FROM:<a@x.example> AUTH=a+2", 501, "5.5.4");
    EXPECT_REFUSED("MAIL FROM:<a@x.example> AUTH=a+0Db", 501, "5.5.4");  // decodes to a CR
    EXPECT_REFUSED("MAIL FROM:<a@x.example> AUTH", 501, "5.5.4");
}

// RFC 3461 section 4: DSN parameters. We do not advertise DSN; like Postfix
// (with DSN on, its default) they are syntax-checked and ignored.
TEST(DsnParams, AcceptedAndIgnored) {
    EXPECT_EQ(parsed("RCPT TO:<a@x.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+40x.example").path.address, "a@x.example");
    parsed("RCPT TO:<a@x.example> NOTIFY=NEVER");
    parsed("RCPT TO:<a@x.example> notify=delay");
    parsed("RCPT TO:<jörg@x.example> ORCPT=utf-8;jörg@x.example");  // RFC 6533 section 3
    parsed("MAIL FROM:<a@x.example> RET=HDRS ENVID=QQ314159");
    parsed("MAIL FROM:<a@x.example> RET=full");
    for (std::string_view line : {"RCPT TO:<a@x.example> NOTIFY=NEVER,SUCCESS"sv, "RCPT TO:<a@x.example> NOTIFY=SOMETIMES"sv,
                                  "RCPT TO:<a@x.example> NOTIFY=SUCCESS,SUCCESS"sv, "RCPT TO:<a@x.example> NOTIFY"sv,
                                  "RCPT TO:<a@x.example> ORCPT=rfc822"sv, "RCPT TO:<a@x.example> ORCPT=;a@x.example"sv,
                                  "RCPT TO:<a@x.example> ORCPT=rfc822;a+4"sv, "MAIL FROM:<a@x.example> RET=ALL"sv,
                                  "MAIL FROM:<a@x.example> ENVID=a+00"sv,
                                  "RCPT TO:<a@x.example> NOTIFY=NEVER NOTIFY=NEVER"sv}) {
        EXPECT_REFUSED(line, 501, "5.5.4");
    }
}

// RFC 6531 section 3.3 and 3.5: non-ASCII in a path needs SMTPUTF8, or 553 5.6.7.
TEST(Smtputf8, Gating) {
    auto r = parse_command("RCPT TO:<jörg@x.example>", false);
    ASSERT_TRUE(std::holds_alternative<Reply>(r));
    EXPECT_EQ(std::get<Reply>(r).code, 553);
    EXPECT_EQ(std::get<Reply>(r).enhanced, "5.6.7");
    Command c = parsed("RCPT TO:<jörg@x.example>", true);
    EXPECT_TRUE(c.path.utf8);
    EXPECT_EQ(c.path.local, "jörg");

    r = parse_command("MAIL FROM:<jörg@x.example>", false);
    ASSERT_TRUE(std::holds_alternative<Reply>(r));
    EXPECT_EQ(std::get<Reply>(r).code, 553);
    // MAIL's own SMTPUTF8 parameter allows its reverse-path (RFC 6531 section 3.4).
    c = parsed("MAIL FROM:<jörg@x.example> SMTPUTF8", false);
    EXPECT_TRUE(c.path.utf8);
    EXPECT_TRUE(c.mail.smtputf8);
    c = parsed("MAIL FROM:<jörg@x.example> BODY=8BITMIME SMTPUTF8", false);
    EXPECT_TRUE(c.path.utf8);
    // ASCII paths never need it.
    EXPECT_FALSE(parsed("RCPT TO:<jorg@x.example>", false).path.utf8);
}

// RFC 6531 section 3.3: U-labels in domains and UTF-8 in quoted local parts.
TEST(Smtputf8, DomainsAndQuotedStrings) {
    Command c = parsed("RCPT TO:<U@Bücher.Example>");
    EXPECT_EQ(c.path.domain, "bücher.example");
    EXPECT_TRUE(c.path.utf8);
    c = parsed("RCPT TO:<\"ü ü\"@x.example>");
    EXPECT_EQ(c.path.local, "ü ü");
    EXPECT_TRUE(c.path.utf8);
    EXPECT_EQ(parse_command("RCPT TO:<u@bücher.example>", false).index(), 1u);
}

// RFC 3629 section 4 (via RFC 6531 section 3.3): only well-formed UTF-8.
TEST(Smtputf8, MalformedUtf8) {
    for (std::string_view line : {"RCPT TO:<j\xC3@x.example>"sv, "RCPT TO:<j\xC0\xAF@x.example>"sv,   // truncated, overlong
                                  "RCPT TO:<j\xED\xA0\x80@x.example>"sv,                              // surrogate
                                  "RCPT TO:<j\xF4\x90\x80\x80@x.example>"sv,                          // above U+10FFFF
                                  "RCPT TO:<j\xFF@x.example>"sv, "RCPT TO:<j@x\x80.example>"sv}) {
        EXPECT_REFUSED(line, 501, "5.1.3");
        // Without SMTPUTF8 the answer is the one for any non-ASCII.
        auto r = parse_command(line, false);
        ASSERT_TRUE(std::holds_alternative<Reply>(r));
        EXPECT_EQ(std::get<Reply>(r).code, 553);
    }
    EXPECT_REFUSED("MAIL FROM:<j\xC3@x.example> SMTPUTF8"sv, 501, "5.1.7");
    EXPECT_EQ(parsed("RCPT TO:<\xF0\x9F\x98\x80@x.example>").path.local, "\xF0\x9F\x98\x80");  // 4-byte form
}

// RFC 3030 section 2: BDAT chunk-size [LAST].
TEST(ParseCommand, Bdat) {
    Command c = parsed("BDAT 100");
    EXPECT_EQ(c.chunk_size, 100u);
    EXPECT_FALSE(c.last);
    c = parsed("BDAT 0 LAST");
    EXPECT_EQ(c.chunk_size, 0u);
    EXPECT_TRUE(c.last);
    c = parsed("BDAT 18446744073709551615 last");
    EXPECT_EQ(c.chunk_size, UINT64_MAX);
    for (std::string_view line : {"BDAT"sv, "BDAT x"sv, "BDAT -1"sv, "BDAT 1 FIRST"sv, "BDAT 1 LAST x"sv, "BDAT 10LAST"sv,
                                  "BDAT 18446744073709551616"sv, "BDAT 1.5"sv}) {
        EXPECT_REFUSED(line, 501, "5.5.4");
    }
}

// RFC 3461 section 4: xtext.
TEST(Xtext, Decode) {
    EXPECT_EQ(decode_xtext(""), "");
    EXPECT_EQ(decode_xtext("abc"), "abc");
    EXPECT_EQ(decode_xtext("+2B"), "+");
    EXPECT_EQ(decode_xtext("a+3Db"), "a=b");
    EXPECT_EQ(decode_xtext("a+3db"), "a=b");  // lower-case hex, as Postfix takes it
    EXPECT_EQ(decode_xtext("+20+7E"), " ~");
    EXPECT_FALSE(decode_xtext("+2").has_value());
    EXPECT_FALSE(decode_xtext("+").has_value());
    EXPECT_FALSE(decode_xtext("+ZZ").has_value());
    EXPECT_FALSE(decode_xtext("a=b").has_value());
    EXPECT_FALSE(decode_xtext("a b").has_value());
    EXPECT_FALSE(decode_xtext("\xC3\xA9").has_value());
}

}  // namespace
}  // namespace mxlab::smtp
