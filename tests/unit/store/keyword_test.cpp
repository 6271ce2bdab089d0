// Each mailbox's keyword list (IMAP FLAGS, PERMANENTFLAGS): grown by STORE, APPEND and COPY, bounded in count and length, atoms only (issue 14, item 5).
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

const std::string bob = "bob@sina.com";
using Words = std::vector<std::string>;

class KeywordTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        MX_ASSERT_OK(s().deliver(to_users({bob}), make_message("one")));
        auto opened = s().open_mailbox(bob, "INBOX");
        MX_ASSERT_OK(opened);
        inbox_ = opened->ref;
        EXPECT_TRUE(opened->info.keywords.empty());
    }
    Words keywords(std::string_view mailbox) {
        auto info = s().mailbox(bob, mailbox);
        return info ? info->keywords : Words{"(" + info.error().message + ")"};
    }
    MailboxRef inbox_;
};

TEST_F(KeywordTest, StoreAppendAndCopyAddTheirKeywordsToTheMailboxList) {
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(1), FlagOp::add, Flags{flag_seen, {"$Forwarded", "lab"}}));
    EXPECT_EQ(keywords("INBOX"), (Words{"$Forwarded", "lab"}));
    MX_ASSERT_OK(s().append(bob, "INBOX", make_message("two"), Flags{0, {"$Junk"}}));
    EXPECT_EQ(keywords("INBOX"), (Words{"$Forwarded", "$Junk", "lab"}));
    // Taking a keyword off every message keeps it in FLAGS (a client may set it again).
    MX_ASSERT_OK(s().store_flags(inbox_, all_uids(), FlagOp::remove, Flags{0, {"lab"}}));
    EXPECT_EQ(keywords("INBOX"), (Words{"$Forwarded", "$Junk", "lab"}));
    EXPECT_EQ(s().open_mailbox(bob, "INBOX")->info.keywords, keywords("INBOX"));
    // COPY and MOVE carry theirs to the target.
    MX_ASSERT_OK(s().copy(inbox_, one_uid(1), "Trash"));
    EXPECT_EQ(keywords("Trash"), (Words{"$Forwarded"}));
    MX_ASSERT_OK(s().move(inbox_, one_uid(2), "Junk"));
    EXPECT_EQ(keywords("Junk"), (Words{"$Junk"}));
    reopen();
    EXPECT_EQ(keywords("INBOX"), (Words{"$Forwarded", "$Junk", "lab"}));
    // A deleted and recreated mailbox starts with none.
    MX_ASSERT_OK(s().delete_mailbox(bob, "Trash"));
    MX_ASSERT_OK(s().create_mailbox(bob, "Trash"));
    EXPECT_TRUE(keywords("Trash").empty());
}

TEST_F(KeywordTest, KeywordsThatAreNotImapAtomsOrTooLongAreRefused) {
    for (const std::string& bad : Words{"two words", "a(b", "x]", "star*", "per%cent", "quo\"te", "back\\slash", "br{ace", "tab\t",
                            std::string("\xc3\xa9t\xc3\xa9"), std::string(65, 'k')}) {
        auto r = s().store_flags(inbox_, one_uid(1), FlagOp::add, Flags{0, {bad}});
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.code(), Errc::invalid) << bad;
        EXPECT_EQ(s().append(bob, "INBOX", make_message("x"), Flags{0, {bad}}).code(), Errc::invalid) << bad;
    }
    EXPECT_NE(s().store_flags(inbox_, one_uid(1), FlagOp::add, Flags{0, {"a b"}}).error().message.find("cannot have spaces"),
              std::string::npos);
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(1), FlagOp::add, Flags{0, {std::string(64, 'k'), "$MDNSent", "Label_1.x-y"}}));
    EXPECT_EQ(keywords("INBOX").size(), 3u);
    EXPECT_EQ(s().mailbox(bob, "INBOX")->messages, 1u);  // the refused appends stored nothing
}

TEST_F(KeywordTest, AMailboxKeepsAtMost256KeywordsAndSaysSo) {
    Flags many;
    for (int i = 0; i < 256; ++i) many.keywords.push_back("k" + std::to_string(i));
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(1), FlagOp::add, many));
    EXPECT_EQ(keywords("INBOX").size(), 256u);
    auto over = s().store_flags(inbox_, one_uid(1), FlagOp::add, Flags{flag_seen, {"k256"}});
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.code(), Errc::invalid);
    EXPECT_NE(over.error().message.find("at most 256"), std::string::npos) << over.error().message;
    EXPECT_FALSE(s().message(inbox_, 1)->flags.has(flag_seen));  // nothing of the refused STORE happened
    EXPECT_EQ(s().append(bob, "INBOX", make_message("x"), Flags{0, {"k999"}}).code(), Errc::invalid);
    // Keywords the mailbox has already still work.
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(1), FlagOp::replace, Flags{flag_seen, {"k7"}}));
    EXPECT_EQ(s().message(inbox_, 1)->flags, (Flags{flag_seen, {"k7"}}));
}

}  // namespace
}  // namespace mxlab::store::test
