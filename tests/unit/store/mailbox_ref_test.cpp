// Mailbox identity: what a session opened (MailboxRef) is acted on, or nothing is, after RENAME and DELETE (issue 14, item 1).
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

const std::string bob = "bob@sina.com";

// Three messages in bob's INBOX, UIDs 1..3.
void deliver_three(Store& s) {
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(s.deliver(to_users({bob}), make_message("m" + std::to_string(i))).ok());
}

TEST_F(StoreTest, ARefActsOnTheMailboxItWasOpenedOn) {
    deliver_three(s());
    auto inbox = s().open_mailbox("Bob@SINA.com", "inbox");
    MX_ASSERT_OK(inbox);
    EXPECT_EQ(inbox->ref.user, bob);
    EXPECT_EQ(inbox->ref.name, "INBOX");
    EXPECT_EQ(inbox->ref.id, inbox->info.id);
    EXPECT_EQ(inbox->info.messages, 3u);
    auto list = s().messages(inbox->ref);
    MX_ASSERT_OK(list);
    EXPECT_EQ(list->size(), 3u);
    auto removed = s().remove_messages(inbox->ref, one_uid(2));
    MX_ASSERT_OK(removed);
    EXPECT_EQ(*removed, std::vector<Uid>{2});
    EXPECT_EQ(s().mailbox(inbox->ref)->messages, 2u);
}

// The case: INBOX renamed away while a POP3 session holds it, and a
// new INBOX that got mail with the same UIDs. Nothing of the new one may go.
TEST_F(StoreTest, AfterInboxIsRenamedTheOldRefIsGoneAndTheNewInboxIsUntouched) {
    deliver_three(s());
    auto held = s().open_mailbox(bob, "INBOX");
    MX_ASSERT_OK(held);
    MX_ASSERT_OK(s().rename_mailbox(bob, "INBOX", "Archive"));
    deliver_three(s());  // the new INBOX's UIDs are 1..3 again
    auto fresh = s().open_mailbox(bob, "INBOX");
    MX_ASSERT_OK(fresh);
    ASSERT_NE(fresh->ref.id, held->ref.id);
    ASSERT_EQ(fresh->info.messages, 3u);

    const MailboxRef& ref = held->ref;
    EXPECT_EQ(s().remove_messages(ref, all_uids()).code(), Errc::gone);
    EXPECT_EQ(s().expunge(ref).code(), Errc::gone);
    EXPECT_EQ(s().store_flags(ref, one_uid(1), FlagOp::add, Flags{flag_deleted, {}}).code(), Errc::gone);
    EXPECT_EQ(s().copy(ref, one_uid(1), "Trash").code(), Errc::gone);
    EXPECT_EQ(s().move(ref, one_uid(1), "Trash").code(), Errc::gone);
    EXPECT_EQ(s().messages(ref).code(), Errc::gone);
    EXPECT_EQ(s().message(ref, 1).code(), Errc::gone);
    EXPECT_EQ(s().open_message(ref, 1).code(), Errc::gone);
    EXPECT_EQ(s().mailbox(ref).code(), Errc::gone);
    auto gone = s().remove_messages(ref, all_uids());
    EXPECT_NE(gone.error().message.find("renamed or deleted"), std::string::npos) << gone.error().message;

    // The new INBOX has all of its mail and flags; the renamed one keeps the old mail.
    auto now = s().messages(bob, "INBOX");
    MX_ASSERT_OK(now);
    ASSERT_EQ(now->size(), 3u);
    for (const auto& m : *now) EXPECT_EQ(m.flags, Flags{});
    EXPECT_EQ(s().mailbox(bob, "Archive")->messages, 3u);
    EXPECT_EQ(s().mailbox(bob, "Trash")->messages, 0u);
}

TEST_F(StoreTest, AfterDeleteAndCreateOfTheSameNameTheOldRefIsGone) {
    MX_ASSERT_OK(s().create_mailbox(bob, "Lab"));
    MX_ASSERT_OK(s().append(bob, "Lab", make_message("old")));
    auto held = s().open_mailbox(bob, "Lab");
    MX_ASSERT_OK(held);
    MX_ASSERT_OK(s().delete_mailbox(bob, "Lab"));
    EXPECT_EQ(s().messages(held->ref).code(), Errc::gone);  // deleted: gone, not "no such mailbox"
    MX_ASSERT_OK(s().create_mailbox(bob, "Lab"));
    MX_ASSERT_OK(s().append(bob, "Lab", make_message("new")));
    EXPECT_EQ(s().remove_messages(held->ref, all_uids()).code(), Errc::gone);
    EXPECT_EQ(s().mailbox(bob, "Lab")->messages, 1u);
}

TEST_F(StoreTest, AMailboxRenamedAwayIsGoneForTheRefThatNamedIt) {
    MX_ASSERT_OK(s().create_mailbox(bob, "Lab"));
    MX_ASSERT_OK(s().append(bob, "Lab", make_message("one")));
    auto held = s().open_mailbox(bob, "Lab");
    MX_ASSERT_OK(held);
    MX_ASSERT_OK(s().rename_mailbox(bob, "Lab", "Lab2"));
    EXPECT_EQ(s().expunge(held->ref).code(), Errc::gone);
    // Renamed back, it is the same mailbox again (same id and UIDVALIDITY): the ref works.
    MX_ASSERT_OK(s().rename_mailbox(bob, "Lab2", "Lab"));
    MX_ASSERT_OK(s().messages(held->ref));
}

TEST_F(StoreTest, ARefWithoutAnIdResolvesTheNameAtEachCall) {
    deliver_three(s());
    MailboxRef by_name{bob, "INBOX"};
    MX_ASSERT_OK(s().rename_mailbox(bob, "INBOX", "Archive"));
    EXPECT_EQ(s().messages(by_name)->size(), 0u);  // the new, empty INBOX: not gone
    EXPECT_EQ(s().open_mailbox(bob, "Nope").code(), Errc::not_found);
}

}  // namespace
}  // namespace mxlab::store::test
