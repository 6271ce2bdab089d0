// Tests for mail/codec/dot_stuffer: dots at line starts, the end-of-data line, and the same bytes wherever the message is split.
#include "mail/codec/dot_stuffer.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mxlab::smtp {
namespace {

using namespace std::literals;

// Stuffs `message` cut at `cuts` (ascending offsets) and appends the terminator.
std::string stuff(std::string_view message, const std::vector<std::size_t>& cuts = {}) {
    DotStuffer stuffer;
    std::string out;
    std::size_t start = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(message.size());
    for (const std::size_t end : ends) {
        stuffer.feed(message.substr(start, end - start), out);
        start = end;
    }
    out += stuffer.finish();
    return out;
}

// The obvious way: byte by byte, a line starts at the beginning and after CRLF.
std::string reference(std::string_view message) {
    std::string out;
    bool line_start = true;
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (line_start && message[i] == '.') out += '.';
        out += message[i];
        line_start = message[i] == '\n' && i > 0 && message[i - 1] == '\r';
    }
    out += line_start ? ".\r\n" : "\r\n.\r\n";
    return out;
}

// Chunk boundaries are the store's business, not the receiver's: byte by
// byte and every two-piece split give what one piece gives.
void expect_split_invariant(std::string_view message) {
    const std::string whole = stuff(message);
    EXPECT_EQ(whole, reference(message));
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < message.size(); ++i) bytes.push_back(i);
    EXPECT_EQ(stuff(message, bytes), whole) << "byte by byte";
    for (std::size_t i = 0; i <= message.size(); ++i) EXPECT_EQ(stuff(message, {i}), whole) << "split at " << i;
}

// RFC 5321 section 4.5.2: no dot at a line start, nothing changes but the terminator.
TEST(DotStuffer, PlainMessage) {
    EXPECT_EQ(stuff("Subject: hi\r\n\r\nbody\r\n"), "Subject: hi\r\n\r\nbody\r\n.\r\n");
    expect_split_invariant("Subject: hi\r\n\r\nbody.\r\n");
}

// RFC 5321 section 4.5.2: "Before sending a line of mail text, the SMTP
// client checks the first character of the line. If it is a period, one
// additional period is inserted at the beginning of the line."
TEST(DotStuffer, LeadingDotsDoubled) {
    EXPECT_EQ(stuff(".hidden\r\n"), "..hidden\r\n.\r\n") << "the first line";
    EXPECT_EQ(stuff("a\r\n.b\r\n..c\r\n"), "a\r\n..b\r\n...c\r\n.\r\n");
    expect_split_invariant("a\r\n.b\r\n..c\r\n.\r\n");
}

// A line "." inside the message must not end the data early (RFC 5321 section 4.1.1.4).
TEST(DotStuffer, LoneDotLineInside) {
    EXPECT_EQ(stuff("a\r\n.\r\nMAIL FROM:<evil@x>\r\n"), "a\r\n..\r\nMAIL FROM:<evil@x>\r\n.\r\n");
    expect_split_invariant("a\r\n.\r\nb\r\n");
    expect_split_invariant(".\r\n");
}

// Lines start after CRLF only (RFC 5321 section 2.3.8); bare CR and bare LF
// pass unchanged, and a dot after them stays single.
TEST(DotStuffer, BareCrAndLf) {
    EXPECT_EQ(stuff("a\n.b\r\n"), "a\n.b\r\n.\r\n");
    EXPECT_EQ(stuff("a\r.b\r\n"), "a\r.b\r\n.\r\n");
    EXPECT_EQ(stuff("a\r\r\n.b\r\n"), "a\r\r\n..b\r\n.\r\n");
    expect_split_invariant("a\n.b\r.c\r\r\n.d\n\r\n.e\r\n");
}

// A chunk may end between CR and LF, or right at a line start before the dot.
TEST(DotStuffer, SplitBetweenCrAndLf) {
    EXPECT_EQ(stuff("a\r\n.b\r\n", {2}), "a\r\n..b\r\n.\r\n") << "split after CR";
    EXPECT_EQ(stuff("a\r\n.b\r\n", {3}), "a\r\n..b\r\n.\r\n") << "split after LF";
    EXPECT_EQ(stuff("a\r\n.b\r\n", {2, 3}), "a\r\n..b\r\n.\r\n") << "LF alone";
    EXPECT_EQ(stuff("a\r\n.b", {1, 2, 3, 4}), "a\r\n..b\r\n.\r\n");
}

// RFC 5321 section 4.1.1.4: the terminator is <CRLF>.<CRLF>; its first CRLF
// is the message's last line end, or ours when the message lacks one.
TEST(DotStuffer, MessageWithoutFinalCrlf) {
    EXPECT_EQ(stuff("a\r\nb"), "a\r\nb\r\n.\r\n");
    EXPECT_EQ(stuff("a\r\nb\r"), "a\r\nb\r\r\n.\r\n") << "a final bare CR is not a line end";
    EXPECT_EQ(stuff("a\n"), "a\n\r\n.\r\n") << "nor is a bare LF";
    expect_split_invariant("a\r\nb");
}

// An empty message: the DATA command's CRLF is the first CRLF of the terminator.
TEST(DotStuffer, EmptyMessage) {
    EXPECT_EQ(stuff(""), ".\r\n");
    DotStuffer stuffer;
    std::string out;
    stuffer.feed("", out);
    EXPECT_EQ(out, "");
    EXPECT_EQ(stuffer.finish(), ".\r\n");
}

// One stuffer serves message after message: finish() starts over at a line start.
TEST(DotStuffer, Reusable) {
    DotStuffer stuffer;
    std::string out;
    stuffer.feed("a", out);
    EXPECT_EQ(stuffer.finish(), "\r\n.\r\n");
    out.clear();
    stuffer.feed(".b\r\n", out);
    EXPECT_EQ(out, "..b\r\n");
    EXPECT_EQ(stuffer.finish(), ".\r\n");
}

// Appends: the caller may batch several chunks in one buffer.
TEST(DotStuffer, AppendsToOutput) {
    DotStuffer stuffer;
    std::string out = "kept";
    stuffer.feed(".x\r\n", out);
    EXPECT_EQ(out, "kept..x\r\n");
}

// Random messages of '.', '\r', '\n' and 'a' against the byte-by-byte reference, randomly split.
TEST(DotStuffer, RandomAgainstReference) {
    std::mt19937 rng(5321);
    const char alphabet[] = {'.', '\r', '\n', 'a'};
    for (int round = 0; round < 2000; ++round) {
        std::string msg(rng() % 40, 'a');
        for (char& c : msg) c = alphabet[rng() % 4];
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < msg.size(); ++i) {
            if (rng() % 3 == 0) cuts.push_back(i);
        }
        ASSERT_EQ(stuff(msg, cuts), reference(msg)) << ::testing::PrintToString(msg);
    }
}

// The hot path: a large chunk with no dot at a line start is one append.
TEST(DotStuffer, LargeChunk) {
    std::string msg;
    for (int i = 0; i < 20000; ++i) msg += "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n";
    msg += ".last\r\n";
    const std::string out = stuff(msg);
    EXPECT_EQ(out.size(), msg.size() + 1 + 3);
    EXPECT_EQ(out.substr(out.size() - 11), "..last\r\n.\r\n");
}

}  // namespace
}  // namespace mxlab::smtp
