// Tests for MimeParser: a message fed in pieces, split anywhere, parses to exactly what parse_mime gives for it whole.
#include <gtest/gtest.h>

#include <string>

#include "mail/codec/mime.hpp"
#include "tests/unit/codec/pieces.hpp"

namespace mxlab::codec {
namespace {

TEST(MimeStream, SplitsInsideCrlfBoundariesAndHeaderFolds) {
    const std::string m =
        "Subject: a\r\n folded\r\n subject\r\nContent-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\npre\r\n"
        "--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
        "--b1\r\n\r\ninner\r\n--b1--\r\n--b1\r\nContent-Type: text/plain\r\n\r\nlast\r\n\n--b1--\r\nepilogue\r\nno end";
    expect_same_in_pieces(m);
}

TEST(MimeStream, BodyLinesLongerThanTheWindowStillMatchDelimiters) {
    // A body line of 100 KB, and a delimiter of a 998-byte boundary fed a
    // byte at a time: only the line's first bytes are kept, enough to match.
    const std::string boundary(998, 'q');
    std::string m = "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n--" + boundary + "\r\n\r\n";
    m += std::string(100'000, 'x') + "\r\n--" + boundary + "\r\n\r\n--" + boundary + std::string(50'000, '-') + "\r\n";
    m += "--" + boundary + "--\r\n";
    const auto s = parse_mime(m);
    ASSERT_EQ(s.parts.size(), 3u);  // the long dash line closes the multipart
    expect_same_in_pieces(m);
}

TEST(MimeStream, LimitsAndWorkAreTheSameInPieces) {
    std::string m = "Content-Type: multipart/mixed; boundary=a\r\n\r\n";
    for (int i = 0; i < 50; ++i) m += "--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n";
    const MimeLimits limits{.max_parts = 6, .max_depth = 3};
    MimeWork whole_work, piece_work;
    const std::string whole = encode_structure(parse_mime(m, limits, &whole_work));
    EXPECT_EQ(chunked(m, 3, limits, &piece_work), whole);
    EXPECT_EQ(piece_work.steps, whole_work.steps);
    EXPECT_EQ(piece_work.peak_trie_nodes, whole_work.peak_trie_nodes);
}

// A hostile 5 MB line, in a header or a body, is not held whole unless the
// structure keeps it (a 5 MB Subject is in the ENVELOPE anyway).
TEST(MimeStream, AHugeLineIsNotHeldUnlessItsValueIsKept) {
    const std::string huge(5 << 20, 'h');
    const std::string unkept = "X-Junk: " + huge + "\r\n" + huge + ":\r\n\t" + huge + "\r\nSubject: s\r\n\r\n" + huge + huge;
    MimeWork work;
    EXPECT_EQ(chunked(unkept, 4096, {}, &work), encode_structure(parse_mime(unkept)));
    EXPECT_LE(work.peak_line_bytes, 1024u);

    const std::string kept = "Subject: " + huge + "\r\n\r\nbody";
    MimeWork kept_work;
    const std::string whole = encode_structure(parse_mime(kept));
    EXPECT_EQ(chunked(kept, 4096, {}, &kept_work), whole);
    EXPECT_GE(kept_work.peak_line_bytes, huge.size());
    EXPECT_EQ(parse_mime(kept).parts[0].envelope->subject, huge);
    // A field whose colon is past the first KB of its line is no field.
    const std::string far = "Subject" + std::string(2000, ' ') + ": far\r\n\r\n";
    EXPECT_FALSE(parse_mime(far).parts[0].envelope->subject.has_value());
    expect_same_in_pieces(far);
}

TEST(MimeStream, NothingFedIsTheEmptyMessage) {
    MimeParser p;
    EXPECT_EQ(encode_structure(p.finish()), encode_structure(parse_mime("")));
}

}  // namespace
}  // namespace mxlab::codec
