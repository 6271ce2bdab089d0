// Tests for Content-Transfer-Encoding decoding: base64 and quoted-printable (RFC 2045 section 6), leniently, whole and in pieces split anywhere.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/codec/transfer_encoding.hpp"

namespace mxlab::codec {
namespace {

std::string qp(std::string_view body) { return decode_transfer_encoding(body, "quoted-printable").value(); }
std::string b64(std::string_view body) { return decode_transfer_encoding(body, "base64").value(); }

TEST(TransferEncoding, Base64Rfc4648Vectors) {
    EXPECT_EQ(b64(""), "");
    EXPECT_EQ(b64("Zg=="), "f");
    EXPECT_EQ(b64("Zm8="), "fo");
    EXPECT_EQ(b64("Zm9v"), "foo");
    EXPECT_EQ(b64("Zm9vYg=="), "foob");
    EXPECT_EQ(b64("Zm9vYmE="), "fooba");
    EXPECT_EQ(b64("Zm9vYmFy"), "foobar");
    EXPECT_EQ(b64("AP8A/w=="), std::string("\x00\xFF\x00\xFF", 4));
}

TEST(TransferEncoding, Base64IsLenient) {
    // RFC 2045 6.8: line breaks and any character outside the alphabet are skipped.
    EXPECT_EQ(b64("Zm9v\r\nYmFy\r\n"), "foobar");
    EXPECT_EQ(b64("Zm9\nvY mFy"), "foobar");
    EXPECT_EQ(b64("Zm9v!!YmFy\x80"), "foobar");
    EXPECT_EQ(b64("5Lit5paH\n"), "中文");
    // Padding missing at the end, and a stray lone sextet (no whole byte).
    EXPECT_EQ(b64("Zm8"), "fo");
    EXPECT_EQ(b64("Zg"), "f");
    EXPECT_EQ(b64("Zm9vY"), "foo");
    // "=" ends a quantum; what follows (two encodings concatenated) goes on.
    EXPECT_EQ(b64("Zg==Zm8="), "ffo");
    EXPECT_EQ(b64("Zg=\r\nZm9v"), "ffoo");
}

TEST(TransferEncoding, QuotedPrintableRfc2045Examples) {
    // Section 6.7, rule (5): soft line breaks.
    EXPECT_EQ(qp("Now's the time =\r\nfor all folk to come=\r\n to the aid of their country."),
              "Now's the time for all folk to come to the aid of their country.");
    // Rules (1) and (2): escapes, literal text, and "=3D" for "=".
    EXPECT_EQ(qp("a=3Db =E4=B8=AD=e6=96=87"), "a=b 中文");
    // Rule (3): whitespace at the end of an encoded line was added in
    // transport and goes; before a soft break or in the middle it is text.
    EXPECT_EQ(qp("line one  \r\nline two\t\nend"), "line one\r\nline two\nend");
    EXPECT_EQ(qp("keep  =\r\nthis"), "keep  this");
    EXPECT_EQ(qp("a \t b"), "a \t b");
    // Hard line breaks stay as they were written.
    EXPECT_EQ(qp("a\r\nb\nc"), "a\r\nb\nc");
}

TEST(TransferEncoding, QuotedPrintableSoftBreaks) {
    EXPECT_EQ(qp("ab=\ncd"), "abcd");
    EXPECT_EQ(qp("ab=  \t\r\ncd"), "abcd");  // blanks after "=" (added in transport)
    EXPECT_EQ(qp("ab= \ncd"), "abcd");
    EXPECT_EQ(qp("ab="), "ab");  // the body's last line break belongs to the boundary
    EXPECT_EQ(qp("ab=  "), "ab");
    EXPECT_EQ(qp("ab  "), "ab");
}

TEST(TransferEncoding, MalformedEqualsIsKept) {
    EXPECT_EQ(qp("1 = 2"), "1 = 2");
    EXPECT_EQ(qp("=XY"), "=XY");
    EXPECT_EQ(qp("=4"), "=4");
    EXPECT_EQ(qp("=4 x"), "=4 x");
    EXPECT_EQ(qp("=4="), "=4");  // "=4" is text, then a final soft break
    EXPECT_EQ(qp("==41"), "=A");
    EXPECT_EQ(qp("=\rx"), "=\rx");  // a CR alone is not a line end
    EXPECT_EQ(qp("= \rx"), "= \rx");
    EXPECT_EQ(qp("a \rb"), "a \rb");
    EXPECT_EQ(qp("100%=\r"), "100%=\r");
    EXPECT_EQ(qp(std::string("=00\x80", 4)), std::string("\x00\x80", 2));
}

TEST(TransferEncoding, IdentityAndUnknownEncodings) {
    for (const char* name : {"7bit", "8bit", "binary", "", "7BIT", "Binary"}) {
        EXPECT_EQ(decode_transfer_encoding("a=3D\r\nZm9v", name), "a=3D\r\nZm9v") << name;
    }
    EXPECT_EQ(decode_transfer_encoding("Zm9v", "BASE64"), "foo");
    EXPECT_EQ(decode_transfer_encoding("a=3D", "Quoted-Printable"), "a=");
    EXPECT_EQ(decode_transfer_encoding("x", "x-uuencode"), std::nullopt);
    EXPECT_EQ(decode_transfer_encoding("x", "base-64"), std::nullopt);
    TransferDecoder d;
    EXPECT_FALSE(d.start("x-uuencode"));
    EXPECT_TRUE(d.start("base64"));
}

std::string in_pieces(std::string_view body, std::string_view encoding, const std::vector<std::size_t>& cuts) {
    TransferDecoder d;
    EXPECT_TRUE(d.start(encoding));
    std::string out;
    std::size_t from = 0;
    for (const std::size_t cut : cuts) {
        d.feed(body.substr(from, cut - from), out);
        from = cut;
    }
    d.feed(body.substr(from), out);
    d.finish(out);
    return out;
}

const std::vector<std::string> kTricky = {
    "Now's the time =\r\nfor all folk  \r\nto=\n come=  \r\n=E4=B8=AD=e6=96=87 = x =4 ==41 =\r=",
    "trailing \t \r\n\t\n  = \t\r\nend \r",
    "=\r\n=\n=3D=3d=3=\r\n \r \n",
    "Zm9v\r\nYmFy!Zg==Zm8=\r\nZm9vY\r\n5Lit5paH",
};

TEST(TransferEncoding, PiecesSplitAnywhereDecodeAsTheWhole) {
    for (const std::string& body : kTricky) {
        for (const std::string_view encoding : {"quoted-printable", "base64", "8bit"}) {
            const std::string whole = decode_transfer_encoding(body, encoding).value();
            // Every split into three pieces (empty ones included).
            for (std::size_t a = 0; a <= body.size(); ++a) {
                for (std::size_t b = a; b <= body.size(); ++b) {
                    ASSERT_EQ(in_pieces(body, encoding, {a, b}), whole) << encoding << " cut at " << a << ", " << b;
                }
            }
            // One byte at a time.
            std::vector<std::size_t> every;
            for (std::size_t i = 1; i < body.size(); ++i) every.push_back(i);
            EXPECT_EQ(in_pieces(body, encoding, every), whole) << encoding;
        }
    }
}

TEST(TransferEncoding, ADecoderIsReusedAfterStart) {
    TransferDecoder d;
    std::string out;
    ASSERT_TRUE(d.start("base64"));
    d.feed("Zm9vY", out);  // a quantum left open
    ASSERT_TRUE(d.start("base64"));
    out.clear();
    d.feed("Zg==", out);
    d.finish(out);
    EXPECT_EQ(out, "f");
}

TEST(TransferEncoding, BigBodiesDecodeInLinearTime) {
    // 2 MB of blanks, escapes and stray "=" on one line, and 2 MB of blanks
    // ending a line: nothing is scanned again per byte.
    std::string body, expected;
    for (int i = 0; i < 200'000; ++i) {
        body += "  =41 =\t=ZZ";
        expected += "  A =\t=ZZ";
    }
    body += std::string(2'000'000, ' ') + "\r\nend";
    expected += "\r\nend";
    EXPECT_EQ(qp(body), expected);
    EXPECT_EQ(in_pieces(body, "quoted-printable", {1, 1'000'000, 3'000'000}), expected);
}

}  // namespace
}  // namespace mxlab::codec
