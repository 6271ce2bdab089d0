// Canonical users and mailbox names, UID sets, and record decoding that never trusts its input.
#include <gtest/gtest.h>

#include "mail/store/message_ops.hpp"
#include "mail/store/names.hpp"
#include "mail/store/records.hpp"

namespace mxlab::store {
namespace {

TEST(Names, UsersAreLowerCaseAddresses) {
    EXPECT_EQ(*canonical_user("DAmeson@BigSky.com"), "dameson@bigsky.com");
    EXPECT_FALSE(canonical_user("").ok());
    EXPECT_FALSE(canonical_user(std::string("a\0b", 3)).ok());
}

TEST(Names, InboxIsCaseInsensitiveOtherNamesAreNot) {
    // RFC 3501 5.1: INBOX is case-insensitive; we extend that to its first hierarchy level.
    EXPECT_EQ(*normalize_mailbox("inbox"), "INBOX");
    EXPECT_EQ(*normalize_mailbox("Inbox/Lab"), "INBOX/Lab");
    EXPECT_EQ(*normalize_mailbox("INBOXES"), "INBOXES");
    EXPECT_EQ(*normalize_mailbox("sent"), "sent");
    EXPECT_EQ(*normalize_mailbox("Lists/lab"), "Lists/lab");
}

TEST(Names, BadNamesAreRejected) {
    for (std::string_view bad : {"", "/a", "a/", "a//b", "a*", "a%b", "a\r\nb"}) EXPECT_FALSE(normalize_mailbox(bad).ok()) << bad;
    EXPECT_FALSE(normalize_mailbox(std::string("a\0b", 3)).ok());
}

TEST(Names, SpecialUseFollowsTheName) {
    EXPECT_EQ(special_use_of("Sent"), SpecialUse::sent);
    EXPECT_EQ(special_use_of("Junk"), SpecialUse::junk);
    EXPECT_EQ(special_use_of("Old/Sent"), SpecialUse::none);
    EXPECT_EQ(to_string(SpecialUse::trash), "\\Trash");
}

TEST(Names, UidlIsUidvalidityDotUid) { EXPECT_EQ(uidl(1700000000, 42), "1700000000.42"); }

TEST(UidSets, NormalizeSortsMergesAndSwaps) {
    auto n = ops::normalize(UidSet{{9, 9}, {4, 2}, {5, 5}, {0, 0}, {6, 8}});
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].first, 2u);
    EXPECT_EQ(n[0].last, 9u);
    auto s = uid_set({5, 1, 2, 3, 9, 3});
    ASSERT_EQ(s.size(), 3u);
    EXPECT_TRUE(contains(s, 2));
    EXPECT_FALSE(contains(s, 4));
    EXPECT_TRUE(contains(all_uids(), max_uid));
}

TEST(Records, RoundTrip) {
    MessageInfo m;
    m.flags = {flag_seen | flag_flagged, {"$Forwarded", "lab"}};
    m.internal_date = Time(std::chrono::seconds(-5));
    m.zone_minutes = -480;
    m.size = 4096;
    m.blob = 77;
    m.modseq = 1ull << 40;
    auto back = decode_message(encode(m), 9);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->uid, 9u);
    EXPECT_EQ(back->flags, m.flags);
    EXPECT_EQ(back->internal_date, m.internal_date);
    EXPECT_EQ(back->zone_minutes, -480);
    EXPECT_EQ(back->modseq, m.modseq);

    QueueEntry q;
    q.sender = "bob@sina.com";
    q.recipients = {{"wfisk@bigsky.com", RecipientState::failed, "550 5.1.1 no such user"}};
    q.attempts = 3;
    auto qb = decode_queue(encode(q), 5);
    ASSERT_TRUE(qb);
    EXPECT_EQ(qb->recipients.at(0).state, RecipientState::failed);
    EXPECT_EQ(qb->recipients.at(0).last_error, "550 5.1.1 no such user");
}

TEST(Records, TruncatedOrForeignValuesDoNotDecode) {
    MessageInfo m;
    m.flags.keywords = {"k"};
    std::string v = encode(m);
    for (std::size_t n = 0; n < v.size(); ++n) EXPECT_FALSE(decode_message(v.substr(0, n), 1)) << n;
    QueueEntry q;
    q.recipients = {{"a@b", RecipientState::pending, ""}};
    std::string qv = encode(q);
    for (std::size_t n = 0; n < qv.size(); ++n) EXPECT_FALSE(decode_queue(qv.substr(0, n), 1)) << n;
    EXPECT_FALSE(decode_mailbox("\x02\x01"));                     // unknown record version
    EXPECT_FALSE(decode_message(std::string("\x01\x00\xff\xff\xff\xff\x0f", 7), 1));  // absurd keyword count
}

}  // namespace
}  // namespace mxlab::store
