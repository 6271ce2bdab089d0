// RFC 7162 data: HIGHESTMODSEQ from creation, changes_since over the MODSEQ index, VANISHED and its floor, UNCHANGEDSINCE (issue 14, item 2).
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

const std::string bob = "bob@sina.com";

std::vector<Uid> uids_of(const std::vector<FlagChange>& cs) {
    std::vector<Uid> out;
    for (const auto& c : cs) out.push_back(c.uid);
    return out;
}

class CondstoreTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        for (int i = 1; i <= 5; ++i) ASSERT_TRUE(s().deliver(to_users({bob}), make_message("m" + std::to_string(i))).ok());
        auto opened = s().open_mailbox(bob, "INBOX");
        ASSERT_TRUE(opened.ok());
        inbox_ = opened->ref;
    }
    ModSeq highest() { return s().mailbox(inbox_)->highest_modseq; }
    MailboxRef inbox_;
};

TEST_F(StoreTest, EveryMailboxHasAHighestModseqOfAtLeastOneFromItsCreation) {
    MX_ASSERT_OK(s().ensure_user(bob));
    MX_ASSERT_OK(s().create_mailbox(bob, "Lab"));
    auto boxes = s().mailboxes(bob);
    MX_ASSERT_OK(boxes);
    for (const auto& b : *boxes) EXPECT_GE(b.highest_modseq, 1u) << b.name;
    auto empty = s().open_mailbox(bob, "Lab");
    MX_ASSERT_OK(empty);
    auto none = s().changes_since(empty->ref, 1);
    MX_ASSERT_OK(none);
    EXPECT_TRUE(none->changed.empty());
    EXPECT_TRUE(none->vanished.empty());
    EXPECT_FALSE(none->too_old);
}

TEST_F(CondstoreTest, ChangesSinceListsNewAndChangedMessagesAndVanishedUids) {
    auto all = s().changes_since(inbox_, 0);
    MX_ASSERT_OK(all);
    EXPECT_EQ(uids_of(all->changed), (std::vector<Uid>{1, 2, 3, 4, 5}));
    EXPECT_FALSE(all->too_old);

    const ModSeq seen = highest();
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(4), FlagOp::add, Flags{flag_seen, {"$Forwarded"}}));
    MX_ASSERT_OK(s().remove_messages(inbox_, uid_set({2, 5})));
    MX_ASSERT_OK(s().deliver(to_users({bob}), make_message("m6")));
    auto c = s().changes_since(inbox_, seen);
    MX_ASSERT_OK(c);
    EXPECT_EQ(uids_of(c->changed), (std::vector<Uid>{4, 6}));
    EXPECT_EQ(c->changed[0].flags, (Flags{flag_seen, {"$Forwarded"}}));
    EXPECT_GT(c->changed[0].modseq, seen);
    EXPECT_EQ(c->vanished, (std::vector<Uid>{2, 5}));
    EXPECT_EQ(c->highest_modseq, highest());
    EXPECT_EQ(c->uidnext, 7u);
    EXPECT_FALSE(c->too_old);

    // Nothing after the newest MODSEQ; a flag change that changes nothing takes no MODSEQ.
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(4), FlagOp::add, Flags{flag_seen, {}}));
    auto none = s().changes_since(inbox_, highest());
    MX_ASSERT_OK(none);
    EXPECT_TRUE(none->changed.empty());
    EXPECT_TRUE(none->vanished.empty());
    // A client's MODSEQ from the future (another server, a bug) gets nothing, not everything.
    auto future = s().changes_since(inbox_, ~ModSeq{0});
    MX_ASSERT_OK(future);
    EXPECT_TRUE(future->changed.empty());
}

TEST_F(CondstoreTest, AMoveVanishesFromTheSourceAndIsNewInTheTarget) {
    auto trash = s().open_mailbox(bob, "Trash");
    MX_ASSERT_OK(trash);
    const ModSeq seen = highest(), trash_seen = trash->info.highest_modseq;
    auto moved = s().move(inbox_, uid_set({1, 3}), "Trash");
    MX_ASSERT_OK(moved);
    auto src = s().changes_since(inbox_, seen);
    EXPECT_EQ(src->vanished, (std::vector<Uid>{1, 3}));
    EXPECT_TRUE(src->changed.empty());
    auto dst = s().changes_since(trash->ref, trash_seen);
    EXPECT_EQ(uids_of(dst->changed), moved->target);
}

TEST_F(CondstoreTest, UnchangedSinceLeavesMessagesChangedMeanwhileAndReportsThem) {
    const ModSeq seen = highest();
    MX_ASSERT_OK(s().store_flags(inbox_, one_uid(2), FlagOp::add, Flags{flag_flagged, {}}));  // another session
    auto r = s().store_flags(inbox_, UidSet{{1, 3}}, FlagOp::add, Flags{flag_seen, {}}, seen);
    MX_ASSERT_OK(r);
    EXPECT_EQ(r->modified, std::vector<Uid>{2});
    EXPECT_EQ(uids_of(r->changes), (std::vector<Uid>{1, 3}));
    EXPECT_EQ(s().message(inbox_, 2)->flags, (Flags{flag_flagged, {}}));  // not \Seen
    EXPECT_TRUE(s().message(inbox_, 1)->flags.has(flag_seen));
    // UNCHANGEDSINCE 0 fails every message (RFC 7162 3.1.3: MODSEQs are >= 1).
    auto zero = s().store_flags(inbox_, all_uids(), FlagOp::add, Flags{flag_answered, {}}, 0);
    MX_ASSERT_OK(zero);
    EXPECT_EQ(zero->modified, (std::vector<Uid>{1, 2, 3, 4, 5}));
    EXPECT_TRUE(zero->changes.empty());
}

// 16,384 messages from 14 doubling COPYs, expunged in two writes: past
// expunged_kept + expunged_prune the oldest go, and asking from before the
// floor says "too old" instead of a short VANISHED list.
TEST_F(StoreTest, ExpungesArePrunedBelowAFloorAndOlderQueriesAreTooOld) {
    MX_ASSERT_OK(s().deliver(to_users({bob}), make_message("seed")));
    auto inbox = s().open_mailbox(bob, "INBOX");
    MX_ASSERT_OK(inbox);
    const MailboxRef& ref = inbox->ref;
    for (int i = 0; i < 14; ++i) MX_ASSERT_OK(s().copy(ref, all_uids(), "INBOX"));
    ASSERT_EQ(s().mailbox(ref)->messages, 16384u);
    MX_ASSERT_OK(s().remove_messages(ref, UidSet{{1, 8000}}));
    const ModSeq first = s().mailbox(ref)->highest_modseq;
    MX_ASSERT_OK(s().remove_messages(ref, all_uids()));
    auto old = s().changes_since(ref, first - 1);
    MX_ASSERT_OK(old);
    EXPECT_TRUE(old->too_old);
    auto recent = s().changes_since(ref, first);
    MX_ASSERT_OK(recent);
    EXPECT_FALSE(recent->too_old);
    ASSERT_EQ(recent->vanished.size(), 8384u);
    EXPECT_EQ(recent->vanished.front(), 8001u);
    // What a restart keeps is the same.
    reopen();
    EXPECT_TRUE(s().changes_since(ref, first - 1)->too_old);
    EXPECT_EQ(s().changes_since(ref, first)->vanished.size(), 8384u);
}

TEST_F(CondstoreTest, ChangesSinceOnAGoneMailboxSaysGone) {
    MX_ASSERT_OK(s().rename_mailbox(bob, "INBOX", "Old"));
    EXPECT_EQ(s().changes_since(inbox_, 0).code(), Errc::gone);
}

}  // namespace
}  // namespace mxlab::store::test
