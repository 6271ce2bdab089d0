// Messages in one user's mailboxes: UIDs, counts, flags and MODSEQ, copy/move, expunge, listing by UID, partial reads.
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

constexpr std::string_view bob = "bob@sina.com";

std::vector<Uid> uids_of(const std::vector<MessageInfo>& ms) {
    std::vector<Uid> out;
    for (const auto& m : ms) out.push_back(m.uid);
    return out;
}

class MessageTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        MX_ASSERT_OK(s().ensure_user(bob));
    }
    Uid add(std::string_view mailbox, const std::string& subject, Flags flags = {}) {
        auto r = s().append(bob, mailbox, make_message(subject), flags);
        EXPECT_TRUE(r.ok());
        return r ? r->uid : 0;
    }
    // The counters kept in the mailbox record must agree with a full scan.
    void expect_counts_match(std::string_view mailbox) {
        auto box = s().mailbox(bob, mailbox);
        auto ms = s().messages(bob, mailbox);
        ASSERT_TRUE(box.ok() && ms.ok());
        std::uint32_t unseen = 0;
        std::uint64_t size = 0;
        for (const auto& m : *ms) {
            unseen += m.flags.has(flag_seen) ? 0 : 1;
            size += m.size;
        }
        EXPECT_EQ(box->messages, ms->size()) << mailbox;
        EXPECT_EQ(box->unseen, unseen) << mailbox;
        EXPECT_EQ(box->size, size) << mailbox;
    }
};

TEST_F(MessageTest, AppendGivesIncreasingUidsAndKeepsCounts) {
    Time date = Time(std::chrono::seconds(1700000000));
    auto a = s().append(bob, "INBOX", make_message("a"), Flags{flag_seen, {}}, date, 480);
    MX_ASSERT_OK(a);
    EXPECT_EQ(a->uid, 1u);
    EXPECT_EQ(a->uidvalidity, s().mailbox(bob, "INBOX")->uidvalidity);
    EXPECT_EQ(add("INBOX", "b"), 2u);
    EXPECT_EQ(add("INBOX", "c"), 3u);
    auto box = s().mailbox(bob, "INBOX");
    EXPECT_EQ(box->uidnext, 4u);
    EXPECT_EQ(box->messages, 3u);
    EXPECT_EQ(box->unseen, 2u);
    expect_counts_match("INBOX");

    auto m = s().message(bob, "INBOX", 1);
    MX_ASSERT_OK(m);
    EXPECT_EQ(m->internal_date, date);
    EXPECT_EQ(m->zone_minutes, 480);
    EXPECT_EQ(m->size, make_message("a").size());
    EXPECT_TRUE(m->flags.has(flag_seen));
    EXPECT_EQ(s().message(bob, "INBOX", 9).code(), Errc::not_found);
    EXPECT_EQ(s().append(bob, "Nope", "x").code(), Errc::not_found);
}

TEST_F(MessageTest, UidsNeverRepeatAfterExpungeAndRestart) {
    add("INBOX", "1");
    add("INBOX", "2");
    Uid three = add("INBOX", "3");
    MX_ASSERT_OK(s().store_flags(bob, "INBOX", one_uid(three), FlagOp::add, Flags{flag_deleted, {}}));
    auto gone = s().expunge(bob, "INBOX");
    MX_ASSERT_OK(gone);
    EXPECT_EQ(*gone, std::vector<Uid>{3});
    reopen();
    EXPECT_EQ(add("INBOX", "4"), 4u);  // not 3 again (RFC 3501 2.3.1.1)
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX")), (std::vector<Uid>{1, 2, 4}));
}

// Flag changes are written without an fsync of their own (group_commit.hpp, as
// Dovecot's mail_fsync = optimized): readers see them at once, a close keeps
// them, and the next delivery's sync makes them durable with it.
TEST_F(MessageTest, FlagChangesCostNoSyncOfTheirOwn) {
    Uid u = add("INBOX", "f");
    const auto before = s().stats();
    for (int i = 0; i < 10; ++i)
        MX_ASSERT_OK(s().store_flags(bob, "INBOX", one_uid(u), i % 2 ? FlagOp::remove : FlagOp::add, Flags{flag_flagged, {}}));
    MX_ASSERT_OK(s().store_flags(bob, "INBOX", one_uid(u), FlagOp::add, Flags{flag_seen, {}}));
    const auto after = s().stats();
    EXPECT_EQ(after.syncs, before.syncs);
    EXPECT_EQ(after.writes, before.writes + 11);
    EXPECT_EQ(s().message(bob, "INBOX", u)->flags, (Flags{flag_seen, {}}));
    add("INBOX", "g");  // a delivery: synced, and the flags with it
    EXPECT_EQ(s().stats().syncs, before.syncs + 1);
    reopen();
    EXPECT_EQ(s().message(bob, "INBOX", u)->flags, (Flags{flag_seen, {}}));
}

TEST_F(MessageTest, FlagsSetClearReplaceAndModseqGrows) {
    Uid u = add("INBOX", "f");
    auto m0 = s().message(bob, "INBOX", u);
    auto h0 = s().mailbox(bob, "INBOX")->highest_modseq;

    auto set = s().store_flags(bob, "INBOX", one_uid(u), FlagOp::add, Flags{flag_seen | flag_flagged, {"$Forwarded"}});
    MX_ASSERT_OK(set);
    ASSERT_EQ(set->size(), 1u);
    EXPECT_TRUE((*set)[0].changed);
    EXPECT_EQ((*set)[0].flags, (Flags{flag_seen | flag_flagged, {"$Forwarded"}}));
    EXPECT_GT((*set)[0].modseq, m0->modseq);
    EXPECT_EQ(s().mailbox(bob, "INBOX")->unseen, 0u);

    auto clear = s().store_flags(bob, "INBOX", one_uid(u), FlagOp::remove, Flags{flag_seen, {"$Forwarded"}});
    MX_ASSERT_OK(clear);
    EXPECT_EQ((*clear)[0].flags, (Flags{flag_flagged, {}}));
    EXPECT_GT((*clear)[0].modseq, (*set)[0].modseq);
    EXPECT_EQ(s().mailbox(bob, "INBOX")->unseen, 1u);

    auto replace = s().store_flags(bob, "INBOX", one_uid(u), FlagOp::replace, Flags{flag_answered, {"lab", "$Junk", "lab"}});
    MX_ASSERT_OK(replace);
    EXPECT_EQ((*replace)[0].flags, (Flags{flag_answered, {"$Junk", "lab"}}));  // keywords sorted, unique

    // A STORE that changes nothing does not move MODSEQ.
    auto same = s().store_flags(bob, "INBOX", one_uid(u), FlagOp::add, Flags{flag_answered, {}});
    MX_ASSERT_OK(same);
    EXPECT_FALSE((*same)[0].changed);
    EXPECT_EQ((*same)[0].modseq, (*replace)[0].modseq);

    auto h1 = s().mailbox(bob, "INBOX")->highest_modseq;
    EXPECT_EQ(h1, (*replace)[0].modseq);
    EXPECT_GT(h1, h0);
    EXPECT_EQ(s().message(bob, "INBOX", u)->flags, (Flags{flag_answered, {"$Junk", "lab"}}));
    expect_counts_match("INBOX");
}

TEST_F(MessageTest, StoreOnARangeReportsEveryMessageInIt) {
    for (int i = 0; i < 5; ++i) add("INBOX", "m" + std::to_string(i));
    auto r = s().store_flags(bob, "INBOX", UidSet{{2, 3}, {5, max_uid}}, FlagOp::add, Flags{flag_seen, {}});
    MX_ASSERT_OK(r);
    std::vector<Uid> got;
    for (const auto& c : *r) got.push_back(c.uid);
    EXPECT_EQ(got, (std::vector<Uid>{2, 3, 5}));
    EXPECT_EQ(s().mailbox(bob, "INBOX")->unseen, 2u);
}

TEST_F(MessageTest, ExpungeTakesOnlyDeletedAndUidExpungeOnlyTheSet) {
    for (int i = 0; i < 4; ++i) add("INBOX", "m" + std::to_string(i));
    MX_ASSERT_OK(s().store_flags(bob, "INBOX", UidSet{{1, 3}}, FlagOp::add, Flags{flag_deleted, {}}));
    auto some = s().expunge(bob, "INBOX", one_uid(2));  // RFC 4315 UID EXPUNGE
    MX_ASSERT_OK(some);
    EXPECT_EQ(*some, std::vector<Uid>{2});
    auto rest = s().expunge(bob, "INBOX");
    EXPECT_EQ(*rest, (std::vector<Uid>{1, 3}));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX")), std::vector<Uid>{4});
    EXPECT_TRUE(s().expunge(bob, "INBOX")->empty());
    expect_counts_match("INBOX");
}

TEST_F(MessageTest, RemoveMessagesIgnoresFlagsForPop3) {
    for (int i = 0; i < 3; ++i) add("INBOX", "m" + std::to_string(i));
    auto r = s().remove_messages(bob, "INBOX", uid_set({1, 3, 7}));
    MX_ASSERT_OK(r);
    EXPECT_EQ(*r, (std::vector<Uid>{1, 3}));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX")), std::vector<Uid>{2});
}

TEST_F(MessageTest, CopyGivesNewUidsInTheTargetAndSharesTheBody) {
    add("INBOX", "a", Flags{flag_seen, {"lab"}});
    add("INBOX", "b");
    add("INBOX", "c");
    add("Trash", "already there");
    auto c = s().copy(bob, "INBOX", UidSet{{1, 2}}, "Trash");
    MX_ASSERT_OK(c);
    EXPECT_EQ(c->uidvalidity, s().mailbox(bob, "Trash")->uidvalidity);  // RFC 4315 COPYUID
    EXPECT_EQ(c->source, (std::vector<Uid>{1, 2}));
    EXPECT_EQ(c->target, (std::vector<Uid>{2, 3}));
    EXPECT_EQ(s().mailbox(bob, "Trash")->uidnext, 4u);
    auto copied = s().message(bob, "Trash", 2);
    EXPECT_EQ(copied->flags, (Flags{flag_seen, {"lab"}}));  // RFC 3501 6.4.7: flags and date kept
    EXPECT_EQ(copied->internal_date, s().message(bob, "INBOX", 1)->internal_date);
    EXPECT_EQ(s().blob_refcount(copied->blob).value(), 2u);
    EXPECT_EQ(*s().read_message(bob, "Trash", 3), make_message("b"));
    EXPECT_EQ(s().mailbox(bob, "INBOX")->messages, 3u);
    expect_counts_match("INBOX");
    expect_counts_match("Trash");

    auto none = s().copy(bob, "INBOX", one_uid(99), "Trash");
    MX_ASSERT_OK(none);
    EXPECT_TRUE(none->target.empty());
    EXPECT_EQ(s().copy(bob, "INBOX", one_uid(1), "Nope").code(), Errc::not_found);
}

TEST_F(MessageTest, CopyIntoTheSameMailboxDuplicates) {
    add("INBOX", "a");
    auto c = s().copy(bob, "INBOX", one_uid(1), "INBOX");
    MX_ASSERT_OK(c);
    EXPECT_EQ(c->target, std::vector<Uid>{2});
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX")), (std::vector<Uid>{1, 2}));
    expect_counts_match("INBOX");
}

TEST_F(MessageTest, MoveLeavesTheSourceAndKeepsTheReferenceCount) {
    add("INBOX", "a");
    add("INBOX", "b");
    auto blob = s().message(bob, "INBOX", 2)->blob;
    auto h0 = s().mailbox(bob, "INBOX")->highest_modseq;
    auto m = s().move(bob, "INBOX", one_uid(2), "Junk");  // RFC 6851
    MX_ASSERT_OK(m);
    EXPECT_EQ(m->source, std::vector<Uid>{2});
    EXPECT_EQ(m->target, std::vector<Uid>{1});
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX")), std::vector<Uid>{1});
    EXPECT_GT(s().mailbox(bob, "INBOX")->highest_modseq, h0);
    EXPECT_EQ(*s().read_message(bob, "Junk", 1), make_message("b"));
    EXPECT_EQ(s().blob_refcount(blob).value(), 1u);
    EXPECT_EQ(s().move(bob, "Junk", one_uid(1), "Junk").code(), Errc::invalid);
    expect_counts_match("INBOX");
    expect_counts_match("Junk");
}

TEST_F(MessageTest, ListByUidRanges) {
    for (int i = 0; i < 6; ++i) add("INBOX", "m" + std::to_string(i));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX", UidSet{{1, 2}})), (std::vector<Uid>{1, 2}));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX", UidSet{{5, max_uid}})), (std::vector<Uid>{5, 6}));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX", uid_set({6, 2, 4}))), (std::vector<Uid>{2, 4, 6}));
    EXPECT_EQ(uids_of(*s().messages(bob, "INBOX", UidSet{{4, 2}})), (std::vector<Uid>{2, 3, 4}));
    EXPECT_TRUE(s().messages(bob, "INBOX", one_uid(7))->empty());
    EXPECT_EQ(s().messages(bob, "Nope").code(), Errc::not_found);
}

TEST_F(MessageTest, PartialReadsForImapBodyRanges) {
    std::string raw = make_message("partial", 1000);
    auto a = s().append(bob, "INBOX", raw);
    MX_ASSERT_OK(a);
    auto r = s().open_message(bob, "INBOX", a->uid);
    MX_ASSERT_OK(r);
    EXPECT_EQ(r->size(), raw.size());
    EXPECT_EQ(*r->read(10, 20), raw.substr(10, 20));
    EXPECT_EQ(*r->read(990, 100), raw.substr(990, 100));
    EXPECT_EQ(*r->read(5000, 10), "");
}

}  // namespace
}  // namespace mxlab::store::test
