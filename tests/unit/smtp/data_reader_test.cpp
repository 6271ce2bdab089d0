// Tests for mail/smtp/data_reader: the end of data, dot-stuffing, SMTP smuggling, limits, and the same result wherever the input is split.
#include "mail/smtp/data_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxlab::smtp {
namespace {

using namespace std::literals;

struct Result {
    std::string out;
    bool done = false;
    std::size_t consumed = 0;  // over all pieces
    bool too_big = false;
    bool line_too_long = false;
    bool smuggling = false;
    bool eight_bit = false;
    std::uint64_t size = 0;

    bool operator==(const Result&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Result& r) {
    return os << "{out=" << ::testing::PrintToString(r.out) << " done=" << r.done << " consumed=" << r.consumed
              << " too_big=" << r.too_big << " line_too_long=" << r.line_too_long << " smuggling=" << r.smuggling
              << " eight_bit=" << r.eight_bit << " size=" << r.size << "}";
}

// Feeds `input` cut at `cuts` (ascending offsets), the way a session feeds
// what each read brought, stopping once the reader is done.
Result read(std::string_view input, const std::vector<std::size_t>& cuts = {}, std::uint64_t max = 1 << 20) {
    DataReader reader(max);
    Result r;
    std::size_t start = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (const std::size_t end : ends) {
        const std::string_view piece = input.substr(start, end - start);
        const auto step = reader.feed(piece, r.out);
        r.consumed += step.consumed;
        if (step.done) {
            r.done = true;
            break;
        }
        EXPECT_EQ(step.consumed, piece.size()) << "a piece is used up unless the end is in it";
        start = end;
    }
    r.too_big = reader.too_big();
    r.line_too_long = reader.line_too_long();
    r.smuggling = reader.smuggling();
    r.eight_bit = reader.eight_bit();
    r.size = reader.size();
    EXPECT_EQ(reader.ok(), !r.too_big && !r.line_too_long && !r.smuggling);
    return r;
}

// The result must not depend on how the input is split (RFC 5321 section
// 4.1.1.4 gives no guarantee about TCP segment boundaries): byte by byte, and
// every two-piece split, give what one piece gives.
void expect_split_invariant(std::string_view input, std::uint64_t max = 1 << 20) {
    const Result whole = read(input, {}, max);
    std::vector<std::size_t> bytes;
    for (std::size_t i = 1; i < input.size(); ++i) bytes.push_back(i);
    EXPECT_EQ(read(input, bytes, max), whole) << "byte by byte";
    for (std::size_t i = 0; i <= input.size(); ++i) {
        EXPECT_EQ(read(input, {i}, max), whole) << "split at " << i;
    }
}

// RFC 5321 section 4.1.1.4: the data ends at <CRLF>.<CRLF>, whose first CRLF
// ends the last line; the message keeps that CRLF.
TEST(DataReader, EndOfData) {
    const Result r = read("Subject: hi\r\n\r\nbody\r\n.\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out, "Subject: hi\r\n\r\nbody\r\n");
    EXPECT_EQ(r.consumed, 24u);
    EXPECT_TRUE(r.out.size() == r.size);
    EXPECT_FALSE(r.smuggling || r.too_big || r.line_too_long || r.eight_bit);
}

// RFC 5321 section 4.1.1.4: right after DATA's CRLF, "." CRLF is an empty
// message; "\r\n.\r\n" there is one empty line (its CRLF ends that line).
TEST(DataReader, EndAtTheVeryStart) {
    Result r = read(".\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.consumed, 3u);
    r = read("\r\n.\r\n");
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out, "\r\n");
    EXPECT_EQ(r.consumed, 5u);
    EXPECT_FALSE(r.smuggling);
    expect_split_invariant("\r\n.\r\n");
    expect_split_invariant(".\r\n");
}

// RFC 5321 section 4.1.1.4: not done until the terminator is complete.
TEST(DataReader, NotDoneWithoutTerminator) {
    for (std::string_view input : {"a\r\n"sv, "a\r\n."sv, "a\r\n.\r"sv, "a\r\n.\n"sv, "a\n.\r\n"sv, "a.\r\n"sv, ""sv}) {
        SCOPED_TRACE(::testing::PrintToString(std::string(input)));
        const Result r = read(input);
        EXPECT_FALSE(r.done);
        EXPECT_EQ(r.consumed, input.size());
    }
}

// Pipelining (RFC 2920 section 3.1): what follows the end is the next command, left unconsumed.
TEST(DataReader, BytesAfterTheEndAreLeft) {
    const std::string input = "a\r\n.\r\nMAIL FROM:<x@y.example>\r\n";
    const Result r = read(input);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out, "a\r\n");
    EXPECT_EQ(input.substr(r.consumed), "MAIL FROM:<x@y.example>\r\n");
    expect_split_invariant(input);

    // Once done, the reader takes nothing more.
    DataReader reader(100);
    std::string out;
    EXPECT_TRUE(reader.feed(".\r\n", out).done);
    const auto again = reader.feed("QUIT\r\n", out);
    EXPECT_TRUE(again.done);
    EXPECT_EQ(again.consumed, 0u);
    EXPECT_EQ(out, "");
}

// The session puts its Received: header in `out` first: the reader appends.
TEST(DataReader, AppendsToOutput) {
    DataReader reader(100);
    std::string out = "Received: from x\r\n";
    EXPECT_TRUE(reader.feed("a\r\n.\r\n", out).done);
    EXPECT_EQ(out, "Received: from x\r\na\r\n");
    EXPECT_EQ(reader.size(), 3u);
}

// RFC 5321 section 4.5.2: a line starting with "." and longer than "." loses its first dot.
TEST(DataReader, DotUnstuffing) {
    EXPECT_EQ(read("..x\r\n.\r\n").out, ".x\r\n");
    EXPECT_EQ(read("a\r\n..\r\n.\r\n").out, "a\r\n.\r\n");
    EXPECT_EQ(read("...\r\n.\r\n").out, "..\r\n");
    EXPECT_EQ(read(".x\r\n.\r\n").out, "x\r\n");  // not stuffed by the client, but the rule is the rule
    EXPECT_EQ(read("a.b\r\n a\r\n.\r\n").out, "a.b\r\n a\r\n");  // dots not at a line start stay
    EXPECT_EQ(read("a\r\n..\r\n..\r\n.\r\n").out, "a\r\n.\r\n.\r\n");
    // ".." then bare LF: a stuffed "." line, normalized; not smuggling.
    const Result r = read("a\r\n..\nb\r\n.\r\n");
    EXPECT_EQ(r.out, "a\r\n.\r\nb\r\n");
    EXPECT_FALSE(r.smuggling);
    expect_split_invariant("..x\r\n...\r\n..\r\n.\r\n");
}

// A sample with every feature at once, split at every point (RFC 5321 section 4.1.1.4).
TEST(DataReader, EverySplitPointOfASample) {
    const std::string sample =
        "From: a@x.example\r\n"
        "Subject: caf\xC3\xA9\r\n"
        "\r\n"
        "..stuffed\r\n"
        "bare\nlf\n"
        "\n"
        "bare\rcr\r\r\n"
        "\r.x\r\n"
        "..\r\n"
        "a.\r\n"
        ".\r\n"
        "QUIT\r\n";
    const Result r = read(sample);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.out,
              "From: a@x.example\r\n"
              "Subject: caf\xC3\xA9\r\n"
              "\r\n"
              ".stuffed\r\n"
              "bare\r\nlf\r\n"
              "\r\n"
              "bare\rcr\r\r\n"
              "\r.x\r\n"
              ".\r\n"
              "a.\r\n");
    EXPECT_EQ(sample.substr(r.consumed), "QUIT\r\n");
    EXPECT_TRUE(r.eight_bit);
    EXPECT_FALSE(r.smuggling);
    EXPECT_EQ(r.size, r.out.size());
    expect_split_invariant(sample);
    // And every three-piece split of its tricky middle.
    for (std::size_t i = 60; i < 100; ++i) {
        for (std::size_t j = i; j < 100; ++j) EXPECT_EQ(read(sample, {i, j}), r) << i << "," << j;
    }
}

// Byte-exact for CRLF input: the message is what the client sent minus
// stuffing and the terminator (RFC 5321 section 4.5.2).
TEST(DataReader, ByteExactForCrlfInput) {
    std::string message;
    for (int i = 0; i < 200; ++i) message += "line " + std::to_string(i) + " \t\x01\x7f\xff text\r\n";
    const Result r = read(message + ".\r\n");
    EXPECT_EQ(r.out, message);
    EXPECT_TRUE(r.eight_bit);
}

// The header's rule: a bare LF that is not next to a "." line becomes CRLF
// (Postfix's smtpd_forbid_bare_newline = normalize).
TEST(DataReader, BareLfNormalized) {
    Result r = read("a\nb\r\n.\r\n");
    EXPECT_EQ(r.out, "a\r\nb\r\n");
    EXPECT_FALSE(r.smuggling);
    EXPECT_EQ(read("a\n\nb\r\n.\r\n").out, "a\r\n\r\nb\r\n");
    EXPECT_EQ(read("a\r\n\nb\r\n.\r\n").out, "a\r\n\r\nb\r\n");
    EXPECT_EQ(read("\nb\r\n.\r\n").out, "\r\nb\r\n");
    // A bare LF ends a line, so the next line's leading dot is stuffing.
    EXPECT_EQ(read("a\n..b\r\n.\r\n").out, "a\r\n.b\r\n");
    EXPECT_EQ(read("a\n.b\r\n.\r\n").out, "a\r\nb\r\n");
    r = read("a\nb\n");
    EXPECT_FALSE(r.done);
    EXPECT_EQ(r.out, "a\r\nb\r\n");
    EXPECT_EQ(r.size, 6u);
}

// RFC 5321 section 2.3.8: bare CRs are not line ends; they are kept.
TEST(DataReader, BareCrKept) {
    EXPECT_EQ(read("a\rb\r\n.\r\n").out, "a\rb\r\n");
    EXPECT_EQ(read("a\r\r\n.\r\n").out, "a\r\r\n");
    EXPECT_EQ(read("\r\r\n.\r\n").out, "\r\r\n");
    EXPECT_EQ(read("a\r..\r\n.\r\n").out, "a\r..\r\n");  // not a line start: no unstuffing
    EXPECT_FALSE(read("a\r\r\n.\r\n").smuggling);
}

// SMTP smuggling (CVE-2023-51764 and friends): a "." line bounded by a bare LF
// or a bare CR is not the end. The reader flags it, reads on to the real
// <CRLF>.<CRLF> and leaves what follows unconsumed.
TEST(DataReader, Smuggling) {
    const std::string_view variants[] = {
        "\n.\n"sv, "\r\n.\n"sv, "\n.\r\n"sv, "\r.\r"sv, "\r\n.\r"sv, "\r.\n"sv, "\n.\r"sv, "\r.\r\n"sv, "\n.\r\r\n"sv,
    };
    for (const std::string_view v : variants) {
        const std::string input = "Subject: x\r\n\r\nbody" + std::string(v) +
                                  "MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@y.example>\r\nDATA\r\n"
                                  "smuggled\r\n.\r\nQUIT\r\n";
        SCOPED_TRACE(::testing::PrintToString(std::string(v)));
        const Result r = read(input);
        EXPECT_TRUE(r.smuggling);
        EXPECT_FALSE(r.too_big);
        EXPECT_TRUE(r.done);
        EXPECT_EQ(input.substr(r.consumed), "QUIT\r\n");
        expect_split_invariant(input);
    }
}

// The same right at the start of the data (which counts as after a CRLF).
TEST(DataReader, SmugglingAtTheStart) {
    for (const std::string_view start : {".\n"sv, ".\rX"sv, ".\r\r\n"sv}) {
        const std::string input = std::string(start) + "MAIL FROM:<e@x.example>\r\n.\r\nNEXT";
        SCOPED_TRACE(::testing::PrintToString(std::string(start)));
        const Result r = read(input);
        EXPECT_TRUE(r.smuggling);
        EXPECT_TRUE(r.done);
        EXPECT_EQ(input.substr(r.consumed), "NEXT");
        expect_split_invariant(input);
    }
}

// Look-alikes that are not smuggling.
TEST(DataReader, NotSmuggling) {
    for (const std::string_view input : {"a\r\n..\nb\r\n.\r\n"sv, "a.\nb\r\n.\r\n"sv, "a\r\n.x\nb\r\n.\r\n"sv, "a\r\n .\nb\r\n.\r\n"sv,
                                         "a\r\r\n.\r\n"sv, "a\r..\r\n.\r\n"sv, "a\n..\r\n.\r\n"sv}) {
        SCOPED_TRACE(::testing::PrintToString(std::string(input)));
        const Result r = read(input);
        EXPECT_FALSE(r.smuggling);
        EXPECT_TRUE(r.done);
        EXPECT_EQ(r.consumed, input.size());
    }
}

// Errors stop the output but not the reading: the session answers once, in sync with the client.
TEST(DataReader, TooBig) {
    const std::string body(30, 'x');
    const std::string input = body + "\r\n" + body + "\r\n.\r\nNEXT";
    const Result r = read(input, {}, 40);
    EXPECT_TRUE(r.too_big);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(r.size, 64u);
    EXPECT_EQ(r.out.size(), 40u);  // the first max_size octets, then nothing
    EXPECT_EQ(input.substr(r.consumed), "NEXT");
    expect_split_invariant(input, 40);

    // Exactly the limit is fine (RFC 1870 section 6.3: "exceeds").
    const Result exact = read(body + "\r\n.\r\n", {}, 32);
    EXPECT_FALSE(exact.too_big);
    EXPECT_EQ(exact.out.size(), 32u);
    EXPECT_TRUE(read(body + "\r\n.\r\n", {}, 31).too_big);
    EXPECT_FALSE(read(".\r\n", {}, 0).too_big);
}

// RFC 5321 section 4.5.3.1.6: a text line is at most 1000 octets with its CRLF.
TEST(DataReader, LineTooLong) {
    const std::string ok_line(998, 'a');
    Result r = read(ok_line + "\r\n.\r\n");
    EXPECT_FALSE(r.line_too_long);
    EXPECT_EQ(r.out, ok_line + "\r\n");
    // The stuffing dot is not part of the line (RFC 5321 section 4.5.2).
    EXPECT_FALSE(read("." + ok_line + "\r\n.\r\n").line_too_long);
    // A bare LF counts as the CRLF it becomes.
    EXPECT_FALSE(read(ok_line + "\nx\r\n.\r\n").line_too_long);

    const std::string long_line(999, 'a');
    const std::string input = "short\r\n" + long_line + "\r\nafter\r\n.\r\nNEXT";
    r = read(input);
    EXPECT_TRUE(r.line_too_long);
    EXPECT_TRUE(r.done);
    EXPECT_EQ(input.substr(r.consumed), "NEXT");
    EXPECT_EQ(r.out, "short\r\n" + long_line + "\r\n");  // up to the end of the offending line
    EXPECT_TRUE(read(long_line + "\nx\r\n.\r\n").line_too_long);
    EXPECT_TRUE(read(std::string(5000, 'b') + "\r\n.\r\n").line_too_long);

    // Split around the CRLF of the long line.
    const std::size_t at = 7 + 999;
    for (std::size_t cut = at - 2; cut <= at + 3; ++cut) EXPECT_EQ(read(input, {cut}), r) << cut;
}

// RFC 6152 section 3: the session needs to know whether the body had 8-bit octets.
TEST(DataReader, EightBit) {
    EXPECT_FALSE(read("plain ascii\r\n.\r\n").eight_bit);
    EXPECT_TRUE(read("caf\xC3\xA9\r\n.\r\n").eight_bit);
    EXPECT_TRUE(read("\x80\r\n.\r\n").eight_bit);
    // Bytes after the end are the next command's, not the message's.
    EXPECT_FALSE(read("a\r\n.\r\n\xFF").eight_bit);
}

}  // namespace
}  // namespace mxlab::smtp
