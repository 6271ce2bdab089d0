// Tests for the stored form of a MessageStructure: it round-trips, and the decoder rejects every malformed input instead of crashing.
#include <gtest/gtest.h>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {
namespace {

const std::string kMessage =
    "From: \"Li, Bob\" <bob@sina.com>\r\nTo: class: a@b.c;\r\nSubject: s\r\n"
    "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: text/plain; charset=gb2312\r\n"
    "Content-Language: zh\r\n\r\nx\r\n--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline; a=b\r\n\r\n"
    "Subject: inner\r\nContent-ID: <i>\r\n\r\nbody\n--o--\r\n";

TEST(MimeSerial, RoundTrips) {
    const auto s = parse_mime(kMessage);
    const std::string bytes = encode_structure(s);
    const auto back = decode_structure(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, s);
    EXPECT_LT(bytes.size(), kMessage.size());  // compact: smaller than the header text it describes
}

TEST(MimeSerial, PartsPastTheBodyAreRejected) {
    const std::string bytes = encode_structure(parse_mime(kMessage));
    EXPECT_TRUE(decode_structure(bytes, kMessage.size()).has_value());
    EXPECT_FALSE(decode_structure(bytes, kMessage.size() - 1).has_value());
}

TEST(MimeSerial, EveryTruncationIsRejected) {
    const std::string bytes = encode_structure(parse_mime(kMessage));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        EXPECT_FALSE(decode_structure(bytes.substr(0, n)).has_value()) << n;
    }
    EXPECT_FALSE(decode_structure(bytes + "x").has_value());
}

TEST(MimeSerial, WrongVersionAndBadLinksAreRejected) {
    std::string bytes = encode_structure(parse_mime(kMessage));
    std::string other = bytes;
    other[1] = 2;
    EXPECT_FALSE(decode_structure(other).has_value());
    // Part 1's parent (the byte after magic, version, count, part 0) made to
    // point at itself.
    const auto one = encode_structure(parse_mime("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"));
    ASSERT_TRUE(decode_structure(one).has_value());
    // A huge count must not allocate for it.
    EXPECT_FALSE(decode_structure(std::string("M\x01\xFF\xFF\xFF\xFF\x0F", 7)).has_value());
}

TEST(MimeSerial, EverySingleByteChangeDecodesOrIsRejectedWithoutCrashing) {
    // A decoded structure must also be safe to use: links in range.
    const std::string bytes = encode_structure(parse_mime(kMessage));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        for (const int delta : {1, 0x7f, 0x80}) {
            std::string b = bytes;
            b[i] = static_cast<char>(b[i] + delta);
            const auto s = decode_structure(b);
            if (!s) continue;
            for (const auto& p : s->parts) {
                EXPECT_LT(p.first_child, s->parts.size());
                EXPECT_LT(p.next_sibling, s->parts.size());
                EXPECT_LE(p.body_start, p.end);
            }
        }
    }
}

}  // namespace
}  // namespace mxlab::codec
