// Mailbox names: modified UTF-7 (RFC 3501 section 5.1.3) both ways, and UTF-8 as it is (RFC 6855, RFC 9051).
#include <gtest/gtest.h>

#include "mail/imap/mailbox_name.hpp"

namespace mxlab::imap {
namespace {

TEST(MailboxName, Rfc3501Example) {
    // RFC 3501 section 5.1.3: "~peter/mail/日本語/台北" (U+53F0 U+5317 for the last).
    const std::string utf8 = "~peter/mail/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe5\x8f\xb0\xe5\x8c\x97";
    EXPECT_EQ(mailbox_to_client(utf8, false), "~peter/mail/&ZeVnLIqe-/&U,BTFw-");
    EXPECT_EQ(mailbox_from_client("~peter/mail/&ZeVnLIqe-/&U,BTFw-", false), utf8);
}

TEST(MailboxName, AmpersandIsAmpersandDash) {
    EXPECT_EQ(mailbox_to_client("Tom & Jerry", false), "Tom &- Jerry");
    EXPECT_EQ(mailbox_from_client("Tom &- Jerry", false), "Tom & Jerry");
}

TEST(MailboxName, PlainAsciiIsUnchanged) {
    EXPECT_EQ(mailbox_to_client("Lists/lab", false), "Lists/lab");
    EXPECT_EQ(mailbox_from_client("Lists/lab", false), "Lists/lab");
    EXPECT_EQ(mailbox_from_client("", false), "");
}

TEST(MailboxName, AccentsAndAstralPlane) {
    // "Entwürfe" (Thunderbird's German Drafts) and U+1F4E7 (a surrogate pair in UTF-16).
    EXPECT_EQ(mailbox_to_client("Entw\xc3\xbcrfe", false), "Entw&APw-rfe");
    EXPECT_EQ(mailbox_from_client("Entw&APw-rfe", false), "Entw\xc3\xbcrfe");
    EXPECT_EQ(mailbox_to_client("\xf0\x9f\x93\xa7", false), "&2D3c5w-");
    EXPECT_EQ(mailbox_from_client("&2D3c5w-", false), "\xf0\x9f\x93\xa7");
    // Control characters from the store are encoded too.
    EXPECT_EQ(mailbox_to_client("a\tb", false), "a&AAk-b");
}

TEST(MailboxName, InvalidModifiedUtf7IsRefused) {
    EXPECT_EQ(mailbox_from_client("Entw\xc3\xbcrfe", false), std::nullopt);  // 8-bit: not mUTF-7
    EXPECT_EQ(mailbox_from_client("a&APw", false), std::nullopt);           // unterminated run
    EXPECT_EQ(mailbox_from_client("a&AP/-", false), std::nullopt);          // "/" is not modified base64
    EXPECT_EQ(mailbox_from_client("&AGE-", false), std::nullopt);           // "a" must represent itself
    EXPECT_EQ(mailbox_from_client("&2D0-", false), std::nullopt);           // lone high surrogate
    EXPECT_EQ(mailbox_from_client("&3OcAYQ-", false), std::nullopt);        // lone low surrogate
    EXPECT_EQ(mailbox_from_client("&APx-", false), std::nullopt);           // padding bits not zero
    EXPECT_EQ(mailbox_from_client("&APw,-", false), std::nullopt);          // a sextet too many
    EXPECT_EQ(mailbox_from_client("tab\there", false), std::nullopt);
}

TEST(MailboxName, Utf8ModeTakesValidUtf8AsItIs) {
    // RFC 6855 section 3 / RFC 9051 section 5.1: once enabled, names are UTF-8.
    EXPECT_EQ(mailbox_from_client("Entw\xc3\xbcrfe", true), "Entw\xc3\xbcrfe");
    EXPECT_EQ(mailbox_from_client("Entw&APw-rfe", true), "Entw&APw-rfe");
    EXPECT_EQ(mailbox_to_client("Tom & Jerry", true), "Tom & Jerry");
    EXPECT_EQ(mailbox_from_client("\xc3", true), std::nullopt);              // truncated
    EXPECT_EQ(mailbox_from_client("\xc0\xaf", true), std::nullopt);          // overlong "/"
    EXPECT_EQ(mailbox_from_client("\xed\xa0\x80", true), std::nullopt);      // a surrogate
    EXPECT_EQ(mailbox_from_client("\xf4\x90\x80\x80", true), std::nullopt);  // past U+10FFFF
}

TEST(MailboxName, ControlCharactersAreRefused) {
    // RFC 9051 section 5.1: no C0/C1 controls, DEL, U+2028 or U+2029 in a name.
    EXPECT_EQ(mailbox_from_client("a&AAk-b", false), std::nullopt);     // TAB
    EXPECT_EQ(mailbox_from_client("&AAA-", false), std::nullopt);        // NUL
    EXPECT_EQ(mailbox_from_client("&AH8-", false), std::nullopt);        // DEL
    EXPECT_EQ(mailbox_from_client("&AIU-", false), std::nullopt);        // U+0085
    EXPECT_EQ(mailbox_from_client("&ICg-", false), std::nullopt);        // U+2028
    EXPECT_EQ(mailbox_from_client("a\x7f", false), std::nullopt);
    EXPECT_EQ(mailbox_from_client("a\tb", true), std::nullopt);
    EXPECT_EQ(mailbox_from_client("a\xc2\x85", true), std::nullopt);     // U+0085
    EXPECT_EQ(mailbox_from_client("a\xe2\x80\xa9", true), std::nullopt);  // U+2029
    EXPECT_EQ(mailbox_from_client("a\xc2\xa0", true), "a\xc2\xa0");      // U+00A0 is fine
}

TEST(MailboxName, InvalidUtf8FromTheStoreBecomesReplacementCharacter) {
    EXPECT_EQ(mailbox_to_client("a\xff", false), "a&,,0-");
}

TEST(MailboxName, RoundTrip) {
    for (const std::string name : {"INBOX", "&", "&&", "a&b-c", "Ä/Ö/Ü", "日本語 & 中文", "\xf0\x9f\x98\x80x\xf0\x9f\x98\x80"}) {
        const std::string wire = mailbox_to_client(name, false);
        EXPECT_EQ(mailbox_from_client(wire, false), name) << wire;
    }
}

}  // namespace
}  // namespace mxlab::imap
