// Tests for mail/smtp/reply: single and multiline replies, with and without RFC 2034 enhanced codes.
#include "mail/smtp/reply.hpp"

#include <gtest/gtest.h>

namespace mxlab::smtp {
namespace {

// RFC 5321 section 4.2: Reply-code SP textstring CRLF.
TEST(ReplyFormat, SingleLine) {
    EXPECT_EQ(format(Reply{250, "2.1.0", "Ok"}), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(format(Reply{354, "", "End data with <CR><LF>.<CR><LF>"}), "354 End data with <CR><LF>.<CR><LF>\r\n");
}

// RFC 2034 section 3: no enhanced code unless ENHANCEDSTATUSCODES is in use.
TEST(ReplyFormat, EnhancedCodesOff) {
    EXPECT_EQ(format(Reply{550, "5.1.1", "no such user"}, false), "550 no such user\r\n");
}

// RFC 5321 section 4.2.1: "250-" on each line but the last; RFC 2034 section 3:
// the enhanced code on every line.
TEST(ReplyFormat, Multiline) {
    EXPECT_EQ(format(Reply{250, "", "mx.example\nPIPELINING\nSIZE 1000"}),
              "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
    EXPECT_EQ(format(Reply{214, "2.0.0", "one\ntwo"}), "214-2.0.0 one\r\n214 2.0.0 two\r\n");
    EXPECT_EQ(format(Reply{214, "2.0.0", "one\ntwo"}, false), "214-one\r\n214 two\r\n");
}

// RFC 5321 section 4.2: the textstring is optional.
TEST(ReplyFormat, EmptyText) {
    EXPECT_EQ(format(Reply{250, "", ""}), "250\r\n");
    EXPECT_EQ(format(Reply{250, "2.0.0", ""}), "250 2.0.0\r\n");
    EXPECT_EQ(format(Reply{250, "", "a\n\nb"}), "250-a\r\n250-\r\n250 b\r\n");
}

// RFC 5321 section 4.2: a reply line ends only at CRLF; a CR in echoed client
// text must not end it early.
TEST(ReplyFormat, CarriageReturnInTextCannotSplitTheLine) {
    EXPECT_EQ(format(Reply{501, "5.1.3", "<a\r250 forged>"}), "501 5.1.3 <a 250 forged>\r\n");
}

TEST(Reply, Classes) {
    EXPECT_TRUE((Reply{250, "", ""}.positive()));
    EXPECT_TRUE((Reply{354, "", ""}.positive()));
    EXPECT_FALSE((Reply{450, "", ""}.positive()));
    EXPECT_FALSE((Reply{450, "", ""}.permanent()));
    EXPECT_TRUE((Reply{550, "", ""}.permanent()));
}

}  // namespace
}  // namespace mxlab::smtp
