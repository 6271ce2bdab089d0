// Tests for header text to UTF-8: RFC 2047 encoded words in the charsets Chinese mail uses, RFC 2231 values.
#include <gtest/gtest.h>

#include "mail/codec/rfc2047.hpp"

namespace mxlab::codec {
namespace {

TEST(Rfc2047, BAndQWordsInCommonCharsets) {
    // RFC 2047 section 4.1 (B) and 4.2 (Q, "_" is a space).
    EXPECT_EQ(decode_rfc2047("=?gb2312?B?1tDOxA==?="), "中文");
    EXPECT_EQ(decode_rfc2047("=?GBK?b?1tDOxA==?="), "中文");
    EXPECT_EQ(decode_rfc2047("=?gb18030?B?1tDOxA==?="), "中文");
    EXPECT_EQ(decode_rfc2047("=?big5?B?pKSk5Q==?="), "中文");
    EXPECT_EQ(decode_rfc2047("=?utf-8?Q?Caf=C3=A9_au_lait?="), "Café au lait");
    EXPECT_EQ(decode_rfc2047("=?iso-8859-1?q?Andr=E9?= Pirard"), "André Pirard");
    EXPECT_EQ(decode_rfc2047("=?ISO-8859-15?Q?=A4?="), "€");
    EXPECT_EQ(decode_rfc2047("=?utf-8*zh?B?5Lit?="), "中");  // RFC 2231 section 5 language
}

TEST(Rfc2047, WhitespaceBetweenAdjacentWordsIsDropped) {
    // RFC 2047 section 6.2 and the examples in section 8.
    EXPECT_EQ(decode_rfc2047("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="), "ab");
    EXPECT_EQ(decode_rfc2047("=?ISO-8859-1?Q?a?=\r\n  =?ISO-8859-1?Q?b?="), "ab");
    EXPECT_EQ(decode_rfc2047("=?ISO-8859-1?Q?a?= b =?ISO-8859-1?Q?c?="), "a b c");
    EXPECT_EQ(decode_rfc2047("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
}

TEST(Rfc2047, MalformedWordsStayAsWritten) {
    EXPECT_EQ(decode_rfc2047("=?nosuch-charset?B?1tDOxA==?="), "=?nosuch-charset?B?1tDOxA==?=");
    EXPECT_EQ(decode_rfc2047("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
    EXPECT_EQ(decode_rfc2047("=?utf-8?B?!!!?="), "=?utf-8?B?!!!?=");
    EXPECT_EQ(decode_rfc2047("=?utf-8?B?abc"), "=?utf-8?B?abc");
    EXPECT_EQ(decode_rfc2047("plain text"), "plain text");
    // Raw 8-bit: UTF-8 stays, anything else is read as Latin-1.
    EXPECT_EQ(decode_rfc2047("caf\xC3\xA9"), "café");
    EXPECT_EQ(decode_rfc2047("caf\xE9"), "café");
    // Bytes invalid in the word's charset become U+FFFD.
    EXPECT_EQ(decode_rfc2047("=?utf-8?Q?a=FFb?="), "a\xEF\xBF\xBD" "b");
}

TEST(Rfc2047, ManyUnfinishedWordsCostLinearTime) {
    std::string value;
    while (value.size() < 2'000'000) value += "=?a?b?x";
    EXPECT_EQ(decode_rfc2047(value), value);  // under a second; quadratic would take minutes
}

TEST(Rfc2047, ToUtf8) {
    EXPECT_EQ(to_utf8("GB2312", "\xD6\xD0"), "中");
    EXPECT_FALSE(to_utf8("UTF-8//TRANSLIT", "x").has_value());
    EXPECT_FALSE(to_utf8("x-unknown", "x").has_value());
}

TEST(Rfc2231, ValuesDecodeToUtf8) {
    // RFC 2231 section 4: charset'language'percent-encoded.
    std::string language;
    EXPECT_EQ(decode_rfc2231_value("utf-8'zh-CN'%E4%BD%9C%E4%B8%9A.docx", &language), "作业.docx");
    EXPECT_EQ(language, "zh-CN");
    EXPECT_EQ(decode_rfc2231_value("gb2312''%D6%D0%CE%C4.txt"), "中文.txt");
    EXPECT_EQ(decode_rfc2231_value("no%20quotes"), "no quotes");
    EXPECT_EQ(decode_rfc2231_value("x-unknown''%E9"), "é");
}

}  // namespace
}  // namespace mxlab::codec
