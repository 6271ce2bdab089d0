// Tests for mail/smtp/reply_reader: reply lines, multiline replies, enhanced codes, limits, errors, and the same replies wherever the input is split.
#include "mail/smtp/reply_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxlab::smtp {

// In the Reply's own namespace, for argument-dependent lookup from std and
// gtest; static, as other test files may want their own.
static bool operator==(const Reply& a, const Reply& b) {
    return a.code == b.code && a.enhanced == b.enhanced && a.text == b.text;
}

static std::ostream& operator<<(std::ostream& os, const Reply& r) {
    return os << "{" << r.code << " [" << r.enhanced << "] " << ::testing::PrintToString(r.text) << "}";
}

namespace {

using namespace std::literals;

struct Parsed {
    std::vector<Reply> replies;
    bool failed = false;
    bool pending = false;
};

// Feeds `input` in pieces of `step` octets (0: one piece), taking replies after each.
Parsed parse(std::string_view input, std::size_t step = 0) {
    ReplyReader reader;
    Parsed p;
    if (step == 0) step = input.size() + 1;
    for (std::size_t i = 0; i < input.size(); i += step) {
        reader.feed(input.substr(i, step));
        while (auto r = reader.next()) p.replies.push_back(*r);
    }
    if (input.empty()) {
        while (auto r = reader.next()) p.replies.push_back(*r);
    }
    p.failed = reader.failed();
    p.pending = reader.pending();
    return p;
}

Reply one(std::string_view input) {
    const Parsed p = parse(input);
    EXPECT_FALSE(p.failed) << input;
    EXPECT_EQ(p.replies.size(), 1u) << input;
    return p.replies.empty() ? Reply{} : p.replies.front();
}

// The replies must not depend on TCP segment boundaries: byte by byte and
// every two-piece split give what one piece gives.
void expect_split_invariant(std::string_view input) {
    const Parsed whole = parse(input);
    const Parsed bytes = parse(input, 1);
    EXPECT_EQ(bytes.replies, whole.replies) << "byte by byte";
    EXPECT_EQ(bytes.failed, whole.failed);
    for (std::size_t cut = 0; cut <= input.size(); ++cut) {
        ReplyReader reader;
        std::vector<Reply> got;
        reader.feed(input.substr(0, cut));
        while (auto r = reader.next()) got.push_back(*r);
        reader.feed(input.substr(cut));
        while (auto r = reader.next()) got.push_back(*r);
        EXPECT_EQ(got, whole.replies) << "split at " << cut;
        EXPECT_EQ(reader.failed(), whole.failed) << "split at " << cut;
    }
}

// RFC 5321 section 4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF.
TEST(ReplyReader, SingleLine) {
    const Reply r = one("220 mail.bigsky.com ESMTP Postfix\r\n");
    EXPECT_EQ(r.code, 220);
    EXPECT_EQ(r.enhanced, "");
    EXPECT_EQ(r.text, "mail.bigsky.com ESMTP Postfix");
}

// RFC 5321 section 4.2.1: "250-" on every line but the last; the text keeps the lines apart.
TEST(ReplyReader, Multiline) {
    const std::string ehlo = "250-mail.bigsky.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";
    const Reply r = one(ehlo);
    EXPECT_EQ(r.code, 250);
    EXPECT_EQ(r.text, "mail.bigsky.com\nPIPELINING\nSIZE 10240000\n8BITMIME");
    expect_split_invariant(ehlo);
}

// RFC 5321 section 4.2: the textstring is optional; "250" alone and "250-" alone are lines.
TEST(ReplyReader, CodeWithoutText) {
    EXPECT_EQ(one("250\r\n"), (Reply{250, "", ""}));
    EXPECT_EQ(one("250 \r\n"), (Reply{250, "", ""}));
    EXPECT_EQ(one("250-\r\n250 ok\r\n"), (Reply{250, "", "\nok"}));
    EXPECT_EQ(one("354\r\n"), (Reply{354, "", ""}));
}

// Postfix's client takes a bare LF as a line end (RFC 5321 section 2.3.8 asks
// for CRLF, but a lenient reader loses no mail over it).
TEST(ReplyReader, BareLfEndsALine) {
    EXPECT_EQ(one("250-a\n250 b\n"), (Reply{250, "", "a\nb"}));
    EXPECT_EQ(one("250 a\r\r\n"), (Reply{250, "", "a?"})) << "only one CR belongs to the line end";
}

// RFC 2034 section 3 / RFC 3463 section 2: the enhanced code follows the
// reply code on every line; it is taken out of the text.
TEST(ReplyReader, EnhancedCode) {
    EXPECT_EQ(one("550 5.1.1 <x@bigsky.com>: Recipient address rejected\r\n"),
              (Reply{550, "5.1.1", "<x@bigsky.com>: Recipient address rejected"}));
    EXPECT_EQ(one("250-2.0.0 first\r\n250 2.0.0 second\r\n"), (Reply{250, "2.0.0", "first\nsecond"}));
    EXPECT_EQ(one("250 2.0.0\r\n"), (Reply{250, "2.0.0", ""}));
    EXPECT_EQ(one("452 4.5.3 Too many recipients\r\n"), (Reply{452, "4.5.3", "Too many recipients"}));
    EXPECT_EQ(one("554 5.123.456 x\r\n"), (Reply{554, "5.123.456", "x"}));
    // A line that does not repeat it keeps its text.
    EXPECT_EQ(one("550-5.7.1 no\r\n550 see http://x\r\n"), (Reply{550, "5.7.1", "no\nsee http://x"}));
    expect_split_invariant("250-2.0.0 first\r\n250 2.0.0 second\r\n");
}

// RFC 3463 section 2: class 2, 4 or 5, agreeing with the reply code
// (RFC 2034 section 4); subject and detail of 1 to 3 digits. Anything else is text.
TEST(ReplyReader, NotAnEnhancedCode) {
    EXPECT_EQ(one("250 5.1.1 odd\r\n"), (Reply{250, "", "5.1.1 odd"})) << "class differs from the code's";
    EXPECT_EQ(one("354 3.0.0 go\r\n"), (Reply{354, "", "3.0.0 go"})) << "class 3 does not exist";
    EXPECT_EQ(one("250 2.0.0.1 x\r\n"), (Reply{250, "", "2.0.0.1 x"}));
    EXPECT_EQ(one("250 2.0000.0 x\r\n"), (Reply{250, "", "2.0000.0 x"}));
    EXPECT_EQ(one("250 2.0.0x\r\n"), (Reply{250, "", "2.0.0x"}));
    EXPECT_EQ(one("250 2..0 x\r\n"), (Reply{250, "", "2..0 x"}));
    EXPECT_EQ(one("220 2.example.com\r\n"), (Reply{220, "", "2.example.com"}));
}

// Several replies in one read (RFC 2920 section 3.2: a pipelining server answers in one go).
TEST(ReplyReader, SeveralRepliesInOneRead) {
    const std::string in = "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 no\r\n354 End data with <CR><LF>.<CR><LF>\r\n";
    const Parsed p = parse(in);
    ASSERT_EQ(p.replies.size(), 4u);
    EXPECT_EQ(p.replies[0], (Reply{250, "2.1.0", "Ok"}));
    EXPECT_EQ(p.replies[2], (Reply{550, "5.1.1", "no"}));
    EXPECT_EQ(p.replies[3], (Reply{354, "", "End data with <CR><LF>.<CR><LF>"}));
    EXPECT_FALSE(p.pending);
    expect_split_invariant(in);
}

// An incomplete reply is held until its last line comes.
TEST(ReplyReader, PartialReply) {
    ReplyReader reader;
    EXPECT_FALSE(reader.pending());
    reader.feed("250-a\r\n250 b");
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.pending());
    EXPECT_FALSE(reader.failed());
    reader.feed("\r\n");
    EXPECT_EQ(reader.next(), (Reply{250, "", "a\nb"}));
    EXPECT_FALSE(reader.pending());
    EXPECT_FALSE(reader.next());
}

// RFC 3207 section 4.2: bytes after the 220 to STARTTLS must be noticed (pending()).
TEST(ReplyReader, PendingAfterAReply) {
    ReplyReader reader;
    reader.feed("220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
    EXPECT_TRUE(reader.next());
    EXPECT_TRUE(reader.pending());
}

// RFC 5321 section 4.2: a line is a 3-digit code (first digit 2 to 5) and
// then ' ', '-' or the end; anything else is a protocol error, not a guess.
TEST(ReplyReader, MalformedLines) {
    for (std::string_view bad : {"25O ok\r\n"sv, "2500 ok\r\n"sv, "250x\r\n"sv, "hello\r\n"sv, "\r\n"sv, "25\r\n"sv,
                                 "650 no\r\n"sv, "150 no\r\n"sv, "050 no\r\n"sv, " 250 ok\r\n"sv, "250\tok\r\n"sv}) {
        SCOPED_TRACE(::testing::PrintToString(std::string(bad)));
        const Parsed p = parse(bad);
        EXPECT_TRUE(p.failed);
        EXPECT_TRUE(p.replies.empty());
        expect_split_invariant(bad);
    }
}

// RFC 5321 section 4.2.1: continuation lines carry the same code.
TEST(ReplyReader, ContinuationWithAnotherCode) {
    ReplyReader reader;
    reader.feed("250-a\r\n251 b\r\n");
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.failed());
    EXPECT_NE(reader.error().find("251"), std::string::npos) << reader.error();
}

// Replies before a bad line still come out; after it, nothing ever does.
TEST(ReplyReader, StaysFailed) {
    ReplyReader reader;
    reader.feed("250 ok\r\nbogus\r\n250 fine\r\n");
    EXPECT_EQ(reader.next(), (Reply{250, "", "ok"}));
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.failed());
    reader.feed("250 again\r\n");
    EXPECT_FALSE(reader.next());
    EXPECT_TRUE(reader.failed());
}

// Limits that bound memory: a line of 4096 octets (without its CRLF) is the longest; 200 lines the most.
TEST(ReplyReader, LineLengthLimit) {
    const std::string ok = "250 " + std::string(max_reply_line - 4, 'x');
    EXPECT_EQ(one(ok + "\r\n").text.size(), max_reply_line - 4);
    EXPECT_TRUE(parse(ok + "x\r\n").failed);
    EXPECT_TRUE(parse(ok + "x\n").failed);
    expect_split_invariant(ok + "\r\n");

    // Without a line end, the reader gives up as soon as no CRLF could save the line.
    ReplyReader reader;
    reader.feed(ok + "\r");
    EXPECT_FALSE(reader.next());
    EXPECT_FALSE(reader.failed());
    ReplyReader endless;
    endless.feed(ok + "xx");
    EXPECT_FALSE(endless.next());
    EXPECT_TRUE(endless.failed());
    for (int i = 0; i < 1000; ++i) endless.feed(std::string(1000, 'x'));
    EXPECT_FALSE(endless.next());
}

TEST(ReplyReader, LineCountLimit) {
    std::string in;
    for (std::size_t i = 1; i < max_reply_lines; ++i) in += "250-line\r\n";
    EXPECT_FALSE(parse(in + "250 last\r\n").failed);
    EXPECT_TRUE(parse(in + "250-one too many\r\n250 last\r\n").failed);
}

// Control characters become '?' (as in Postfix): the text goes to logs and bounces.
TEST(ReplyReader, ControlCharactersReplaced) {
    EXPECT_EQ(one("550 5.7.1 bad\x01\x7f\tthing\r\n").text, "bad???thing");
    EXPECT_EQ(one("550 caf\xc3\xa9\r\n").text, "caf\xc3\xa9") << "UTF-8 stays";
}

// For logs and DSNs (RFC 3464 section 2.3.6 Diagnostic-Code): one line, lines joined by spaces.
TEST(ReplyReader, OneLine) {
    EXPECT_EQ(one_line(Reply{550, "5.1.1", "<x@bigsky.com>: Recipient address rejected"}),
              "550 5.1.1 <x@bigsky.com>: Recipient address rejected");
    EXPECT_EQ(one_line(Reply{451, "", "first\nsecond"}), "451 first second");
    EXPECT_EQ(one_line(Reply{250, "2.0.0", ""}), "250 2.0.0");
    EXPECT_EQ(one_line(Reply{221, "", "\nbye\n"}), "221 bye");
}

}  // namespace
}  // namespace mxlab::smtp
