// Tests for parse_mime: offsets, sizes and line counts IMAP reports, defaults, malformed MIME, and the bounds on parts, nesting and work.
#include <gtest/gtest.h>

#include <string>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {
namespace {

std::string_view body(std::string_view m, const MimePart& p) { return m.substr(p.body_start, p.end - p.body_start); }
std::string_view header(std::string_view m, const MimePart& p) {
    return m.substr(p.header_start, p.body_start - p.header_start);
}

// Children of part `i`, in order.
std::vector<std::uint32_t> children(const MessageStructure& s, std::uint32_t i) {
    std::vector<std::uint32_t> out;
    for (auto c = s.parts[i].first_child; c != 0; c = s.parts[c].next_sibling) out.push_back(c);
    return out;
}

TEST(MimeParser, SinglePartHeaderLengthSizeAndLines) {
    const std::string m = "Subject: x\r\nContent-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n";
    const auto s = parse_mime(m);
    ASSERT_EQ(s.parts.size(), 1u);
    EXPECT_EQ(s.header_length(), 40u);  // the blank line is part of the header (RFC 5322 section 2.1)
    EXPECT_EQ(body(m, s.parts[0]), "line 1\r\nline 2\r\n");
    EXPECT_EQ(s.parts[0].size(), 16u);
    EXPECT_EQ(s.parts[0].lines, 2u);  // RFC 3501 section 7.4.2: body size in text lines
    EXPECT_EQ(s.parts[0].kind, PartKind::leaf);
}

TEST(MimeParser, TheLineBreakBeforeADelimiterBelongsToTheDelimiter) {
    // RFC 2046 section 5.1.1: "the CRLF preceding the boundary delimiter
    // line is conceptually attached to the boundary".
    const std::string m =
        "Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\n\r\nhello\r\n--b\r\n"
        "Content-Type: text/html\r\n\r\nhello\r\nworld\r\n\r\n--b--\r\nepilogue\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(s.parts[0].kind, PartKind::multipart);
    EXPECT_EQ(body(m, s.parts[kids[0]]), "hello");
    EXPECT_EQ(s.parts[kids[0]].lines, 0u);
    EXPECT_EQ(header(m, s.parts[kids[0]]), "\r\n");
    EXPECT_EQ(body(m, s.parts[kids[1]]), "hello\r\nworld\r\n");
    EXPECT_EQ(s.parts[kids[1]].lines, 2u);
    EXPECT_EQ(s.parts[kids[1]].subtype, "html");
    // The multipart itself runs to the end (epilogue included).
    EXPECT_EQ(s.parts[0].end, m.size());
}

TEST(MimeParser, DefaultsAreTextPlainAndMessageInADigest) {
    // RFC 2045 section 5.2 and RFC 2046 section 5.1.5.
    const std::string m =
        "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: inner\r\n\r\nbody\r\n"
        "--d\r\nContent-Type: text/plain\r\n\r\ntext\r\n--d--\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 2u);
    const auto& digest_part = s.parts[kids[0]];
    EXPECT_EQ(digest_part.type, "message");
    EXPECT_EQ(digest_part.subtype, "rfc822");
    EXPECT_EQ(digest_part.kind, PartKind::message);
    const auto& inner = s.parts[digest_part.first_child];
    ASSERT_TRUE(inner.envelope.has_value());
    EXPECT_EQ(inner.envelope->subject, "inner");
    EXPECT_EQ(inner.type, "text");  // the embedded message's own default
    EXPECT_EQ(s.parts[kids[1]].type, "text");
}

TEST(MimeParser, EmbeddedMessageHasItsEnvelopeAndParts) {
    const std::string inner =
        "From: a@b.c\r\nSubject: in\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
        "--i\r\n\r\none\r\n--i\r\n\r\ntwo\r\n--i--\r\n";
    const std::string m = "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\n" +
                          inner + "--o--\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 1u);
    const auto& msg = s.parts[kids[0]];
    EXPECT_EQ(msg.kind, PartKind::message);
    // Its multipart closed right before the outer delimiter: the close
    // line's CRLF stays in the message (as Dovecot counts it).
    EXPECT_EQ(body(m, msg), inner);
    EXPECT_EQ(msg.lines, 11u);
    const auto root = msg.first_child;
    EXPECT_EQ(s.parts[root].header_start, msg.body_start);
    EXPECT_EQ(s.parts[root].end, msg.end);
    EXPECT_EQ(s.parts[root].envelope->subject, "in");
    EXPECT_EQ(children(s, root).size(), 2u);
}

TEST(MimeParser, MessageGlobalIsAnEmbeddedMessage) {
    // RFC 6532 section 3.7.
    const auto s = parse_mime("Content-Type: message/global\r\n\r\nSubject: \xE4\xBD\xA0\r\n\r\nx\r\n");
    EXPECT_EQ(s.parts[0].kind, PartKind::message);
    EXPECT_EQ(s.parts[1].envelope->subject, "\xE4\xBD\xA0");
}

TEST(MimeParser, OnlyABodyLineGivesItsLineBreakToTheDelimiter) {
    // After an epilogue line the break goes to the delimiter; after a close
    // delimiter or a header line it stays (Dovecot's sizes).
    const std::string with_epilogue =
        "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
        "--i\r\n\r\nx\r\n--i--\r\nepilogue\r\n--o--\r\n";
    const auto s = parse_mime(with_epilogue);
    EXPECT_EQ(body(with_epilogue, s.parts[1]).substr(body(with_epilogue, s.parts[1]).size() - 8), "epilogue");
    const std::string header_only = "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nSubject: x\r\n--o--\r\n";
    const auto t = parse_mime(header_only);
    EXPECT_EQ(header(header_only, t.parts[1]), "Subject: x\r\n");
    EXPECT_EQ(t.parts[1].size(), 0u);
}

TEST(MimeParser, MissingCloseDelimiterEndsPartsAtTheEnd) {
    const std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(body(m, s.parts[kids[1]]), "two\r\n");
    EXPECT_EQ(s.parts[kids[1]].end, m.size());
}

TEST(MimeParser, NestedMultipartReusingTheBoundaryBelongsInnermostFirst) {
    const std::string m =
        "Content-Type: multipart/mixed; boundary=s\r\n\r\n--s\r\nContent-Type: multipart/alternative; boundary=s\r\n\r\n"
        "--s\r\n\r\ninner\r\n--s--\r\nepilogue\r\n--s\r\n\r\nouter\r\n--s--\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 2u);
    ASSERT_EQ(children(s, kids[0]).size(), 1u);
    EXPECT_EQ(body(m, s.parts[children(s, kids[0])[0]]), "inner");
    EXPECT_EQ(body(m, s.parts[kids[1]]), "outer");
}

TEST(MimeParser, OuterDelimiterClosesAnUnclosedInnerMultipart) {
    const std::string m =
        "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/mixed; boundary=i\r\n\r\n"
        "--i\r\n\r\ninner\r\n--o\r\n\r\nsecond\r\n--o--\r\n";
    const auto s = parse_mime(m);
    const auto kids = children(s, 0);
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(body(m, s.parts[children(s, kids[0])[0]]), "inner");
    EXPECT_EQ(body(m, s.parts[kids[1]]), "second");
}

TEST(MimeParser, DelimiterLinesMayEndInWhitespaceOrAnything) {
    // RFC 2046 section 5.1.1: linear whitespace after the boundary is
    // allowed, and "it is sufficient that the boundary appear in its
    // entirety following the CRLF".
    const std::string m = "Content-Type: multipart/mixed; boundary=\"b c\"\r\n\r\n--b c \t\r\n\r\none\r\n--b c--  \r\n";
    const auto s = parse_mime(m);
    ASSERT_EQ(children(s, 0).size(), 1u);
    EXPECT_EQ(body(m, s.parts[1]), "one");
    const std::string t = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--bx\r\n\r\ntwo\r\n--b--x\r\n";
    const auto u = parse_mime(t);
    ASSERT_EQ(children(u, 0).size(), 2u);
    EXPECT_EQ(body(t, u.parts[2]), "two");
    // A boundary that is a prefix of another open one: the innermost wins.
    const std::string v =
        "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=ab\r\n\r\n"
        "--ab\r\n\r\ninner\r\n--ab--\r\n--a\r\n\r\nouter\r\n--a--\r\n";
    const auto w = parse_mime(v);
    ASSERT_EQ(children(w, 0).size(), 2u);
    EXPECT_EQ(children(w, children(w, 0)[0]).size(), 1u);
    EXPECT_EQ(body(v, w.parts[children(w, 0)[1]]), "outer");
}

TEST(MimeParser, AnEmptyBoundaryMakesEveryDashDashLineADelimiter) {
    // RFC 2046 wants 1 to 70 bytes; Dovecot reads boundary="" this way too.
    const std::string m = "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\nepilogue\r\n";
    const auto s = parse_mime(m);
    ASSERT_EQ(children(s, 0).size(), 1u);
    EXPECT_EQ(body(m, s.parts[1]), "x");
    // Without the parameter there is no boundary at all: no parts.
    EXPECT_EQ(parse_mime("Content-Type: multipart/mixed\r\n\r\n--\r\n\r\nx\r\n").parts.size(), 1u);
}

TEST(MimeParser, BareLfLinesCountAsCrlfInTheSize) {
    const std::string m = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\ntwo\n--b--\n";
    const auto s = parse_mime(m);
    ASSERT_EQ(s.parts.size(), 2u);
    EXPECT_EQ(body(m, s.parts[1]), "one\ntwo");
    EXPECT_EQ(s.parts[1].lines, 1u);
    EXPECT_EQ(s.parts[1].bare_lf, 1u);
    EXPECT_EQ(s.parts[1].size(), 8u);  // as "one\r\ntwo", what IMAP sends
    EXPECT_EQ(s.header_length(), 43u);
}

TEST(MimeParser, HeaderWithoutBodyOrBlankLine) {
    const std::string m = "Subject: only a header\r\nFrom: a@b.c";
    const auto s = parse_mime(m);
    EXPECT_EQ(s.header_length(), m.size());
    EXPECT_EQ(s.parts[0].size(), 0u);
    EXPECT_EQ(s.parts[0].envelope->subject, "only a header");
    const auto empty = parse_mime("");
    ASSERT_EQ(empty.parts.size(), 1u);
    EXPECT_EQ(empty.parts[0].type, "text");
}

TEST(MimeParser, NulsAndEightBitBytesAreKept) {
    static constexpr char text[] = "Subject: a\0b \xE4\xBD\xA0\r\n\r\nx\0y\r\n";
    const std::string m(text, sizeof text - 1);
    const auto s = parse_mime(m);
    EXPECT_EQ(*s.parts[0].envelope->subject, std::string("a\0b \xE4\xBD\xA0", 7));
    EXPECT_EQ(s.parts[0].size(), 5u);
}

TEST(MimeParser, FieldsOfEachPart) {
    const std::string m =
        "Content-Type: text/plain; charset=\"gb2312\"; name*0*=utf-8''%E4%BD%9C; name*1*=%E4%B8%9A.txt\r\n"
        "Content-Transfer-Encoding: BASE64 (comment)\r\nContent-ID: <id@x>\r\nContent-Description: d\r\n"
        "Content-Disposition: attachment; filename=\"a b.txt\"\r\nContent-Language: zh-CN, en\r\n"
        "Content-Location: http://x/y\r\nContent-MD5: abc=\r\nContent-Type: text/html\r\n\r\n1A==\r\n";
    const auto p = parse_mime(m).parts[0];
    EXPECT_EQ(p.subtype, "plain");  // the first Content-Type counts
    EXPECT_EQ(p.params, (std::vector<MimeParam>{{"charset", "gb2312"}, {"name*", "utf-8''%E4%BD%9C%E4%B8%9A.txt"}}));
    EXPECT_EQ(p.encoding, "BASE64");
    EXPECT_EQ(p.id, "<id@x>");
    EXPECT_EQ(p.description, "d");
    EXPECT_EQ(p.disposition, "attachment");
    EXPECT_EQ(p.disposition_params, (std::vector<MimeParam>{{"filename", "a b.txt"}}));
    EXPECT_EQ(p.languages, (std::vector<std::string>{"zh-CN", "en"}));
    EXPECT_EQ(p.location, "http://x/y");
    EXPECT_EQ(p.md5, "abc=");
}

TEST(MimeParser, EnvelopeFieldsAsWritten) {
    // Sender and Reply-To stay empty when absent (render_envelope defaults
    // them, imap_render_test), so From's addresses are not kept three times.
    const auto e = *parse_mime("From: A <a@b.c>\r\nTo: x@y.z\r\nTo: w@v.u\r\nSubject: 1\r\nSubject: 2\r\n\r\n").parts[0].envelope;
    ASSERT_EQ(e.from.size(), 1u);
    EXPECT_TRUE(e.sender.empty());
    EXPECT_TRUE(e.reply_to.empty());
    EXPECT_EQ(e.to.size(), 2u);      // every To: field, as Dovecot
    EXPECT_EQ(e.subject, "2");        // the last Subject:, as Dovecot
    EXPECT_FALSE(e.date.has_value());
}

TEST(MimeParser, ThePartLimitStopsListingButKeepsOffsets) {
    std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 20; ++i) m += "--b\r\n\r\npart\r\n";
    m += "--b--\r\n";
    const auto s = parse_mime(m, MimeLimits{.max_parts = 5});
    EXPECT_EQ(s.parts.size(), 5u);
    EXPECT_EQ(children(s, 0).size(), 4u);
    EXPECT_EQ(s.parts[0].end, m.size());
    EXPECT_EQ(body(m, s.parts[4]), "part");
}

TEST(MimeParser, TenThousandPartsAreListedAndNoMore) {
    std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
    for (int i = 0; i < 12'000; ++i) m += "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n";
    m += "--b--\r\n";
    MimeWork work;
    const auto s = parse_mime(m, {}, &work);
    EXPECT_EQ(s.parts.size(), 10'000u);
    EXPECT_LE(work.steps, 4 * m.size());
}

TEST(MimeParser, BoundariesHeldAreOnlyTheOpenOnes) {
    // 2,000 multiparts in a row, each with its own 900-byte boundary: the
    // parser keeps the open boundaries, not every boundary it has seen.
    std::string m = "Content-Type: multipart/mixed; boundary=outer\r\n\r\n";
    for (int i = 0; i < 2'000; ++i) {
        std::string b = std::to_string(i) + "_";
        b.resize(900, 'x');
        m += "--outer\r\nContent-Type: multipart/alternative; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n\r\nx\r\n--" + b +
             "--\r\n";
    }
    m += "--outer--\r\n";
    MimeWork work;
    const auto s = parse_mime(m, {}, &work);
    EXPECT_EQ(children(s, 0).size(), 2'000u);
    EXPECT_LE(work.peak_trie_nodes, 1u + 5 + 900);
    EXPECT_LE(work.steps, 4 * m.size());
}

// Boundaries "b0z", "b1z", ...: none a prefix of another.
std::string nested(int depth) {
    std::string m;
    for (int i = 0; i < depth; ++i) {
        const std::string b = "b" + std::to_string(i) + "z";
        m += "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n";
    }
    m += "\r\nleaf\r\n";
    for (int i = depth - 1; i >= 0; --i) m += "--b" + std::to_string(i) + "z--\r\n";
    return m;
}

TEST(MimeParser, NestingStopsAtTheDepthLimit) {
    const std::string m = nested(150);
    MimeWork work;
    const auto s = parse_mime(m, {}, &work);
    EXPECT_EQ(s.parts.size(), 100u);
    const auto& deepest = s.parts.back();
    EXPECT_EQ(deepest.kind, PartKind::multipart);  // shown with no parts
    EXPECT_EQ(deepest.first_child, 0u);
    EXPECT_LE(work.steps, 4 * m.size());
    // Embedded messages count as levels too.
    std::string msgs;
    for (int i = 0; i < 200; ++i) msgs += "Content-Type: message/rfc822\r\n\r\n";
    const auto t = parse_mime(msgs + "x\r\n");
    EXPECT_EQ(t.parts.size(), 100u);
    EXPECT_EQ(t.parts.back().kind, PartKind::leaf);
}

TEST(MimeParser, WorkIsLinearInTheSizeWithManyBoundaryLikeLines) {
    // 10 MB of lines that all look like delimiters of 99 open multiparts
    // with boundaries that share long prefixes: a parser that tried each
    // boundary against each line would do 99 times the work.
    std::string m;
    std::string boundaries;
    for (int i = 0; i < 99; ++i) {
        const std::string b = std::string(60, 'x') + std::to_string(i);
        m += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n";
    }
    m += "\r\n";
    const std::string line = "--" + std::string(60, 'x') + "--\r\n";
    while (m.size() < 10'000'000) m += line;
    MimeWork work;
    const auto s = parse_mime(m, {}, &work);
    EXPECT_EQ(s.parts.size(), 100u);
    EXPECT_LE(work.steps, 4 * m.size());
    EXPECT_EQ(s.parts.back().end, m.size());
}

}  // namespace
}  // namespace mxlab::codec
