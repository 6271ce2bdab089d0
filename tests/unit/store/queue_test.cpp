// The outbound queue: enqueued in the same write as local copies, recipient updates, the due index, removal with the body's reference.
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

Time at(long s) { return Time(std::chrono::seconds(1700000000 + s)); }

Envelope mixed(Time received) {
    Envelope e = to_users({"bob@sina.com"});
    e.remote_recipients = {"wfisk@bigsky.com", "DAmeson@bigsky.com"};
    e.received = received;
    return e;
}

TEST_F(StoreTest, LocalAndRemoteRecipientsAreOneDurableWrite) {
    auto before = s().stats();
    auto d = s().deliver(mixed(at(0)), make_message("both"));
    MX_ASSERT_OK(d);
    auto after = s().stats();
    EXPECT_EQ(after.syncs - before.syncs, 1u);  // INBOX copy, queue entry, body: one synced batch
    EXPECT_EQ(after.writes - before.writes, 1u);
    ASSERT_TRUE(d->queued);

    auto e = s().queue_entry(*d->queued);
    MX_ASSERT_OK(e);
    EXPECT_EQ(e->sender, "bob@sina.com");
    ASSERT_EQ(e->recipients.size(), 2u);
    EXPECT_EQ(e->recipients[1].address, "DAmeson@bigsky.com");  // kept as given: the peer decides its case
    EXPECT_EQ(e->recipients[0].state, RecipientState::pending);
    EXPECT_EQ(e->created, at(0));
    EXPECT_EQ(e->next_try, at(0));
    EXPECT_EQ(e->attempts, 0u);
    EXPECT_EQ(e->blob, d->blob);
    EXPECT_EQ(e->size, make_message("both").size());
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 2u);  // bob's copy and the queue entry
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, 1u);

    auto r = s().open_blob(e->blob);  // what the SMTP client sends
    MX_ASSERT_OK(r);
    EXPECT_EQ(*r->read(0, r->size()), make_message("both"));
}

TEST_F(StoreTest, UpdatesMoveAnEntryThroughTheDueIndex) {
    Envelope a = to_users({});
    a.remote_recipients = {"wfisk@bigsky.com"};
    a.received = at(0);
    a.next_try = at(10);
    Envelope b = a;
    b.next_try = at(100);
    auto qa = s().deliver(a, make_message("a"));
    auto qb = s().deliver(b, make_message("b"));
    MX_ASSERT_OK(qa);
    MX_ASSERT_OK(qb);

    auto due = s().queue_due(at(50));
    MX_ASSERT_OK(due);
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ(due->at(0).id, *qa->queued);
    EXPECT_EQ(s().queue_due(at(10))->size(), 1u);  // due at exactly next_try
    EXPECT_EQ(s().queue_due(at(9))->size(), 0u);

    QueueUpdate u;
    u.recipients = {{"WFisk@bigsky.com", RecipientState::pending, "421 4.3.2 try later"}};
    u.next_try = at(200);
    u.last_error = "connect to mail.bigsky.com[10.0.2.10]:25: Connection refused";
    auto updated = s().update_queue(*qa->queued, u);
    MX_ASSERT_OK(updated);
    EXPECT_EQ(updated->attempts, 1u);
    EXPECT_EQ(updated->next_try, at(200));
    EXPECT_EQ(updated->recipients[0].last_error, "421 4.3.2 try later");

    due = s().queue_due(at(150));
    ASSERT_EQ(due->size(), 1u);
    EXPECT_EQ(due->at(0).id, *qb->queued);
    due = s().queue_due(at(1000));
    ASSERT_EQ(due->size(), 2u);
    EXPECT_EQ(due->at(0).id, *qb->queued);  // soonest first
    EXPECT_EQ(s().queue_due(at(1000), 1)->size(), 1u);

    // `mxlab queue retry`: now, without counting an attempt.
    QueueUpdate retry;
    retry.next_try = at(1);
    retry.count_attempt = false;
    EXPECT_EQ(s().update_queue(*qa->queued, retry)->attempts, 1u);
    EXPECT_EQ(s().queue_due(at(5))->at(0).id, *qa->queued);

    reopen();
    auto list = s().queue();
    MX_ASSERT_OK(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ(list->at(0).last_error, u.last_error);
}

TEST_F(StoreTest, AFailedUpdateChangesNothing) {
    Envelope e = to_users({});
    e.remote_recipients = {"wfisk@bigsky.com"};
    auto q = s().deliver(e, make_message("x"));
    MX_ASSERT_OK(q);
    QueueUpdate u;
    u.recipients = {{"wfisk@bigsky.com", RecipientState::delivered, "250 ok"}, {"nobody@bigsky.com", RecipientState::failed, ""}};
    EXPECT_EQ(s().update_queue(*q->queued, u).code(), Errc::not_found);
    auto entry = s().queue_entry(*q->queued);
    EXPECT_EQ(entry->recipients[0].state, RecipientState::pending);
    EXPECT_EQ(entry->attempts, 0u);
    EXPECT_EQ(s().update_queue(12345, QueueUpdate{}).code(), Errc::not_found);
}

TEST_F(StoreTest, TheLastDeliveredRecipientEndsTheEntryInTheSameWrite) {
    auto d = s().deliver(mixed(at(0)), make_message("r"));
    MX_ASSERT_OK(d);
    QueueUpdate first;
    first.recipients = {{"wfisk@bigsky.com", RecipientState::delivered, "250 2.0.0 Ok"}};
    MX_ASSERT_OK(s().update_queue(*d->queued, first));
    MX_ASSERT_OK(s().queue_entry(*d->queued));  // one recipient still pending

    QueueUpdate second;
    second.recipients = {{"dameson@bigsky.com", RecipientState::delivered, "250 2.0.0 Ok"}};
    auto before = s().stats().syncs;
    auto last = s().update_queue(*d->queued, second);
    MX_ASSERT_OK(last);
    EXPECT_EQ(s().stats().syncs - before, 1u);  // STYLE habit 7: the delivery record and the removal are one write
    EXPECT_EQ(last->recipients[1].state, RecipientState::delivered);
    EXPECT_EQ(s().queue_entry(*d->queued).code(), Errc::not_found);
    EXPECT_TRUE(s().queue_due(at(1000000))->empty());
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 1u);  // bob still has it
    EXPECT_EQ(s().remove_queue(*d->queued).code(), Errc::not_found);
}

TEST_F(StoreTest, RemovingAnEntryDropsItsBodyReference) {
    // `mxlab queue delete`, or a bounce of a bounce that is dropped instead.
    Envelope only_remote = to_users({});
    only_remote.remote_recipients = {"wfisk@bigsky.com"};
    auto q = s().deliver(only_remote, make_message("gone"));
    MX_ASSERT_OK(q);
    MX_ASSERT_OK(s().remove_queue(*q->queued));
    EXPECT_EQ(s().queue_entry(*q->queued).code(), Errc::not_found);
    EXPECT_TRUE(s().queue_due(at(1000000))->empty());
    EXPECT_EQ(s().blob_refcount(q->blob).value(), 0u);

    auto kept = s().deliver(mixed(at(0)), make_message("kept"));
    QueueUpdate failed;
    failed.recipients = {{"wfisk@bigsky.com", RecipientState::failed, "550 5.1.1 no such user"},
                         {"dameson@bigsky.com", RecipientState::delivered, "250 ok"}};
    MX_ASSERT_OK(s().update_queue(*kept->queued, failed));
    MX_ASSERT_OK(s().queue_entry(*kept->queued));  // a failed recipient keeps it for the bounce
}

TEST_F(StoreTest, ABounceFinishesItsEntryInTheSameWrite) {
    Envelope out = to_users({});
    out.remote_recipients = {"nobody@bigsky.com"};
    auto q = s().deliver(out, make_message("doomed"));
    MX_ASSERT_OK(q);
    QueueUpdate failed;
    failed.recipients = {{"nobody@bigsky.com", RecipientState::failed, "550 5.1.1 no such user"}};
    MX_ASSERT_OK(s().update_queue(*q->queued, failed));

    Envelope bounce = to_users({"bob@sina.com"});
    bounce.sender = "";  // MAILER-DAEMON: <>
    bounce.completes = *q->queued;
    auto before = s().stats().syncs;
    auto b = s().deliver(bounce, make_message("Undelivered Mail Returned to Sender"));
    MX_ASSERT_OK(b);
    EXPECT_EQ(s().stats().syncs - before, 1u);
    EXPECT_EQ(s().queue_entry(*q->queued).code(), Errc::not_found);
    EXPECT_EQ(s().blob_refcount(q->blob).value(), 0u);
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, 1u);

    // Finishing an entry that is gone fails the whole write: no bounce without its entry.
    EXPECT_EQ(s().deliver(bounce, make_message("again")).code(), Errc::not_found);
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, 1u);
}

TEST_F(StoreTest, ABounceForSomeRecipientsKeepsTheEntryForThePendingOnes) {
    // A list with one member refused at once (550) and one whose host is down
    // (deferred): the sender hears about the first now, and the entry stays
    // for the second.
    Envelope out = to_users({});
    out.remote_recipients = {"nobody@bigsky.com", "wfisk@bigsky.com"};
    auto q = s().deliver(out, make_message("half"));
    MX_ASSERT_OK(q);
    QueueUpdate attempt;
    attempt.recipients = {{"nobody@bigsky.com", RecipientState::failed, "550 5.1.1 no such user"},
                          {"wfisk@bigsky.com", RecipientState::pending, "421 4.3.2 try later"}};
    MX_ASSERT_OK(s().update_queue(*q->queued, attempt));

    Envelope bounce = to_users({"bob@sina.com"});
    bounce.sender = "";
    bounce.completes = *q->queued;
    MX_ASSERT_OK(s().deliver(bounce, make_message("Undelivered Mail Returned to Sender")));
    auto left = s().queue_entry(*q->queued);
    MX_ASSERT_OK(left);
    EXPECT_EQ(left->recipients[0].state, RecipientState::bounced);
    EXPECT_EQ(left->recipients[1].state, RecipientState::pending);

    QueueUpdate delivered;
    delivered.recipients = {{"wfisk@bigsky.com", RecipientState::delivered, "250 2.0.0 Ok"}};
    MX_ASSERT_OK(s().update_queue(*q->queued, delivered));
    EXPECT_EQ(s().queue_entry(*q->queued).code(), Errc::not_found);  // delivered + bounced: nothing left to do
    EXPECT_EQ(s().blob_refcount(q->blob).value(), 0u);
}

}  // namespace
}  // namespace mxlab::store::test
