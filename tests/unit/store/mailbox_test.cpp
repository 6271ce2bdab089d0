// Mailboxes: first-use creation, CREATE/RENAME/DELETE (RFC 3501 6.3.3-6.3.5), subscriptions (6.3.6-6.3.9), UIDVALIDITY across restarts.
#include <algorithm>
#include <set>

#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

std::vector<std::string> names_of(const std::vector<MailboxInfo>& boxes) {
    std::vector<std::string> out;
    for (const auto& b : boxes) out.push_back(b.name);
    return out;
}

const MailboxInfo& find(const std::vector<MailboxInfo>& boxes, std::string_view name) {
    auto it = std::find_if(boxes.begin(), boxes.end(), [&](const MailboxInfo& b) { return b.name == name; });
    EXPECT_NE(it, boxes.end()) << name;
    return *it;
}

TEST_F(StoreTest, FirstUseCreatesTheDefaultMailboxesWithSpecialUse) {
    MX_ASSERT_OK(s().ensure_user("Bob@SINA.com"));
    auto boxes = s().mailboxes("bob@sina.com");
    MX_ASSERT_OK(boxes);
    EXPECT_EQ(names_of(*boxes), (std::vector<std::string>{"Drafts", "INBOX", "Junk", "Sent", "Trash"}));
    EXPECT_EQ(find(*boxes, "Sent").special_use, SpecialUse::sent);
    EXPECT_EQ(find(*boxes, "Drafts").special_use, SpecialUse::drafts);
    EXPECT_EQ(find(*boxes, "Trash").special_use, SpecialUse::trash);
    EXPECT_EQ(find(*boxes, "Junk").special_use, SpecialUse::junk);
    EXPECT_EQ(find(*boxes, "INBOX").special_use, SpecialUse::none);
    std::set<std::uint32_t> validities;
    for (const auto& b : *boxes) {
        EXPECT_EQ(b.uidnext, 1u);
        EXPECT_EQ(b.messages, 0u);
        EXPECT_GT(b.uidvalidity, 1600000000u);  // never below the clock
        validities.insert(b.uidvalidity);
    }
    EXPECT_EQ(validities.size(), 5u);
}

TEST_F(StoreTest, ADeliveryIsAFirstUseToo) {
    MX_ASSERT_OK(s().deliver(to_users({"jack@sina.com"}), make_message("hi")));
    auto boxes = s().mailboxes("jack@sina.com");
    MX_ASSERT_OK(boxes);
    EXPECT_EQ(boxes->size(), 5u);
}

TEST_F(StoreTest, EnsureUserRecreatesAMissingDefaultAndOtherwiseWritesNothing) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    auto before = s().stats().syncs;
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    EXPECT_EQ(s().stats().syncs, before);  // a login of a known user costs no write

    MX_ASSERT_OK(s().delete_mailbox("bob@sina.com", "Trash"));
    EXPECT_EQ(s().mailbox("bob@sina.com", "Trash").code(), Errc::not_found);
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    MX_ASSERT_OK(s().mailbox("bob@sina.com", "Trash"));
}

TEST_F(StoreTest, CreateMakesParentsAndRefusesExistingNames) {
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "Lists/lab/2024"));
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "Projects/"));  // trailing separator: RFC 3501 6.3.3
    auto boxes = s().mailboxes("bob@sina.com");
    MX_ASSERT_OK(boxes);
    EXPECT_TRUE(find(*boxes, "Lists").has_children);
    EXPECT_TRUE(find(*boxes, "Lists/lab").has_children);
    EXPECT_FALSE(find(*boxes, "Lists/lab/2024").has_children);
    EXPECT_FALSE(find(*boxes, "Projects").has_children);
    EXPECT_TRUE(s().mailbox("bob@sina.com", "Lists").value().has_children);

    EXPECT_EQ(s().create_mailbox("bob@sina.com", "Lists/lab").code(), Errc::already_exists);
    EXPECT_EQ(s().create_mailbox("bob@sina.com", "inbox").code(), Errc::already_exists);
    EXPECT_EQ(s().create_mailbox("bob@sina.com", "a//b").code(), Errc::invalid);
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "sent"));  // case-sensitive: not "Sent"
    EXPECT_EQ(s().mailbox("bob@sina.com", "sent")->special_use, SpecialUse::none);
}

TEST_F(StoreTest, RenameMovesChildrenAndKeepsMessagesAndUidvalidity) {
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "A/B"));
    auto appended = s().append("bob@sina.com", "A/B", make_message("kept"));
    MX_ASSERT_OK(appended);
    auto before = s().mailbox("bob@sina.com", "A/B");
    MX_ASSERT_OK(before);

    MX_ASSERT_OK(s().rename_mailbox("bob@sina.com", "A", "Archive/C"));
    EXPECT_EQ(s().mailbox("bob@sina.com", "A").code(), Errc::not_found);
    EXPECT_EQ(s().mailbox("bob@sina.com", "A/B").code(), Errc::not_found);
    MX_ASSERT_OK(s().mailbox("bob@sina.com", "Archive"));
    auto after = s().mailbox("bob@sina.com", "Archive/C/B");
    MX_ASSERT_OK(after);
    EXPECT_EQ(after->uidvalidity, before->uidvalidity);
    EXPECT_EQ(after->messages, 1u);
    auto raw = s().read_message("bob@sina.com", "Archive/C/B", appended->uid);
    MX_ASSERT_OK(raw);
    EXPECT_EQ(*raw, make_message("kept"));
}

TEST_F(StoreTest, RenameRefusesAnExistingTargetAndItsOwnChild) {
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "A/B"));
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "X/B"));
    EXPECT_EQ(s().rename_mailbox("bob@sina.com", "A", "Sent").code(), Errc::already_exists);
    EXPECT_EQ(s().rename_mailbox("bob@sina.com", "A", "X").code(), Errc::already_exists);
    EXPECT_EQ(s().rename_mailbox("bob@sina.com", "A", "A/B/C").code(), Errc::invalid);
    EXPECT_EQ(s().rename_mailbox("bob@sina.com", "Nope", "Other").code(), Errc::not_found);
    // Nothing of a refused rename is left behind (the write rolled back).
    MX_ASSERT_OK(s().mailbox("bob@sina.com", "A/B"));
    EXPECT_EQ(s().mailbox("bob@sina.com", "A/B/C").code(), Errc::not_found);
}

TEST_F(StoreTest, RenamingInboxMovesItsMessagesAndLeavesAnEmptyInbox) {
    // RFC 3501 6.3.5.
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("one")));
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "INBOX/child"));
    auto inbox = s().mailbox("bob@sina.com", "INBOX");
    MX_ASSERT_OK(s().rename_mailbox("bob@sina.com", "inbox", "Old mail"));
    auto old = s().mailbox("bob@sina.com", "Old mail");
    MX_ASSERT_OK(old);
    EXPECT_EQ(old->messages, 1u);
    EXPECT_EQ(old->uidvalidity, inbox->uidvalidity);
    auto fresh = s().mailbox("bob@sina.com", "INBOX");
    MX_ASSERT_OK(fresh);
    EXPECT_EQ(fresh->messages, 0u);
    EXPECT_EQ(fresh->uidnext, 1u);
    EXPECT_NE(fresh->uidvalidity, inbox->uidvalidity);  // same name, new UIDs: clients must resync
    MX_ASSERT_OK(s().mailbox("bob@sina.com", "INBOX/child"));  // children stay
}

TEST_F(StoreTest, DeleteRefusesInboxAndParentsAndFreesMessages) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    EXPECT_EQ(s().delete_mailbox("bob@sina.com", "INBOX").code(), Errc::invalid);
    EXPECT_EQ(s().delete_mailbox("bob@sina.com", "Inbox").code(), Errc::invalid);
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "P/Q"));
    EXPECT_EQ(s().delete_mailbox("bob@sina.com", "P").code(), Errc::invalid);
    EXPECT_EQ(s().delete_mailbox("bob@sina.com", "Nope").code(), Errc::not_found);

    auto a = s().append("bob@sina.com", "P/Q", make_message("x"));
    MX_ASSERT_OK(a);
    auto m = s().message("bob@sina.com", "P/Q", a->uid);
    MX_ASSERT_OK(m);
    auto q = s().mailbox("bob@sina.com", "P/Q");
    MX_ASSERT_OK(s().delete_mailbox("bob@sina.com", "P/Q"));
    EXPECT_EQ(s().blob_refcount(m->blob).value(), 0u);  // its message body went with it
    MX_ASSERT_OK(s().delete_mailbox("bob@sina.com", "P"));

    // The same name again is a new mailbox: new UIDVALIDITY, UIDs from 1.
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "P/Q"));
    auto again = s().mailbox("bob@sina.com", "P/Q");
    EXPECT_NE(again->uidvalidity, q->uidvalidity);
    EXPECT_NE(again->id, q->id);
    EXPECT_EQ(again->uidnext, 1u);
}

// The default folders come subscribed (as Dovecot's `auto = subscribe`):
// Thunderbird shows only subscribed folders. One the user unsubscribes stays so.
TEST_F(StoreTest, DefaultMailboxesAreMadeSubscribed) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    auto subs = s().subscriptions("bob@sina.com");
    MX_ASSERT_OK(subs);
    EXPECT_EQ(*subs, (std::vector<std::string>{"Drafts", "INBOX", "Junk", "Sent", "Trash"}));
    MX_ASSERT_OK(s().unsubscribe("bob@sina.com", "Junk"));
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    EXPECT_EQ(*s().subscriptions("bob@sina.com"), (std::vector<std::string>{"Drafts", "INBOX", "Sent", "Trash"}));
}

TEST_F(StoreTest, SubscriptionsAreIndependentOfMailboxes) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    for (auto name : {"INBOX", "Sent", "Drafts", "Trash", "Junk"}) MX_ASSERT_OK(s().unsubscribe("bob@sina.com", name));
    MX_ASSERT_OK(s().subscribe("bob@sina.com", "Sent"));
    MX_ASSERT_OK(s().subscribe("bob@sina.com", "inbox"));
    MX_ASSERT_OK(s().subscribe("bob@sina.com", "Not/yet"));  // RFC 3501 6.3.6 allows a missing name
    auto subs = s().subscriptions("BOB@sina.com");
    MX_ASSERT_OK(subs);
    EXPECT_EQ(*subs, (std::vector<std::string>{"INBOX", "Not/yet", "Sent"}));
    auto boxes = s().mailboxes("bob@sina.com");
    EXPECT_TRUE(find(*boxes, "Sent").subscribed);
    EXPECT_FALSE(find(*boxes, "Trash").subscribed);

    MX_ASSERT_OK(s().unsubscribe("bob@sina.com", "Sent"));
    MX_ASSERT_OK(s().delete_mailbox("bob@sina.com", "Junk"));
    MX_ASSERT_OK(s().subscribe("bob@sina.com", "Junk"));
    subs = s().subscriptions("bob@sina.com");
    EXPECT_EQ(*subs, (std::vector<std::string>{"INBOX", "Junk", "Not/yet"}));
    EXPECT_TRUE(s().subscriptions("other@sina.com")->empty());
}

TEST_F(StoreTest, UidvalidityIsStableAcrossReopen) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "Lab"));
    auto before = s().mailboxes("bob@sina.com");
    MX_ASSERT_OK(before);
    reopen();
    auto after = s().mailboxes("bob@sina.com");
    MX_ASSERT_OK(after);
    ASSERT_EQ(after->size(), before->size());
    for (std::size_t i = 0; i < before->size(); ++i) {
        EXPECT_EQ((*after)[i].name, (*before)[i].name);
        EXPECT_EQ((*after)[i].uidvalidity, (*before)[i].uidvalidity);
        EXPECT_EQ((*after)[i].id, (*before)[i].id);
    }
    // And a mailbox made after the restart still gets a fresh one.
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "Lab2"));
    auto lab2 = s().mailbox("bob@sina.com", "Lab2");
    for (const auto& b : *before) EXPECT_NE(lab2->uidvalidity, b.uidvalidity);
}

}  // namespace
}  // namespace mxlab::store::test
