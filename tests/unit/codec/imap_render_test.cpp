// Tests for BODYSTRUCTURE, BODY and ENVELOPE text (RFC 3501 sections 4.3, 7.4.2 and 9) as Dovecot writes it.
#include <gtest/gtest.h>

#include "mail/codec/imap_render.hpp"

namespace mxlab::codec {
namespace {

std::string str(std::string_view s) {
    std::string out;
    append_imap_string(out, s);
    return out;
}

TEST(ImapRender, StringsQuotedOrLiteral) {
    // RFC 3501 section 4.3: quoted strings hold 7-bit text without CR and
    // LF, with " and \ escaped; anything else is a literal.
    EXPECT_EQ(str("plain"), "\"plain\"");
    EXPECT_EQ(str(""), "\"\"");
    EXPECT_EQ(str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(str("\xE4\xBD\xA0"), "{3}\r\n\xE4\xBD\xA0");
    EXPECT_EQ(str("a\r\nb"), "{4}\r\na\r\nb");
    EXPECT_EQ(str("\"\"\"\"\""), "{5}\r\n\"\"\"\"\"");  // past four escapes, as Dovecot
    // NUL is in neither form (RFC 3501 section 9, CHAR8): U+FFFD instead.
    EXPECT_EQ(str(std::string("a\0b", 3)), "{5}\r\na\xEF\xBF\xBD" "b");
    std::string n;
    append_imap_nstring(n, std::nullopt);
    append_imap_nstring(n, std::string("x\r\n y"));
    EXPECT_EQ(n, "NIL\"x y\"");
}

TEST(ImapRender, EnvelopeDefaultsSenderAndReplyToToFrom) {
    // RFC 3501 section 7.4.2: "the server MUST default" them to From.
    EXPECT_EQ(render_envelope(parse_mime("From: a@b.c\r\nReply-To: r@b.c\r\n\r\n")),
              "(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"r\" \"b.c\")) NIL NIL NIL NIL NIL)");
    EXPECT_EQ(render_envelope(parse_mime("Sender: s@b.c\r\n\r\n")), "(NIL NIL NIL ((NIL NIL \"s\" \"b.c\")) NIL NIL NIL NIL NIL NIL)");
}

TEST(ImapRender, SinglePartWithDefaultsAndExtensionData) {
    const auto s = parse_mime("From: a@b.c\r\n\r\nhello\r\n");
    EXPECT_EQ(render_bodystructure(s, false), "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)");
    EXPECT_EQ(render_bodystructure(s, true),
              "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)");
    EXPECT_EQ(render_envelope(s),
              "(NIL NIL ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) ((NIL NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL)");
}

TEST(ImapRender, MultipartAndEmbeddedMessage) {
    const auto s = parse_mime(
        "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: image/png; name=a.png\r\n"
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: inline\r\n\r\nAAAA\r\n--o\r\n"
        "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n--o--\r\n");
    EXPECT_EQ(render_bodystructure(s, true),
              "((\"image\" \"png\" (\"name\" \"a.png\") NIL NIL \"base64\" 4 NIL (\"inline\" NIL) NIL NIL)"
              "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
              "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL)"
              " \"mixed\" (\"boundary\" \"o\") NIL NIL NIL)");
    EXPECT_EQ(render_bodystructure(s, false),
              "((\"image\" \"png\" (\"name\" \"a.png\") NIL NIL \"base64\" 4)"
              "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 (NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
              "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0) 2) \"mixed\")");
    // The embedded message's own envelope, by its root's index.
    EXPECT_EQ(render_envelope(s, 3), "(NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

TEST(ImapRender, PastTheLimitsTheSyntaxStaysValid) {
    // A multipart without parts shows one empty text part (as Dovecot);
    // an embedded message too deep to open, an empty envelope and body.
    const auto s = parse_mime("Content-Type: multipart/mixed\r\n\r\nx\r\n");
    EXPECT_EQ(render_bodystructure(s, false),
              "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")");
    const auto t = parse_mime("Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\ny\r\n", MimeLimits{.max_depth = 1});
    EXPECT_EQ(render_bodystructure(t, false),
              "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 17 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) "
              "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 3)");
}

}  // namespace
}  // namespace mxlab::codec
