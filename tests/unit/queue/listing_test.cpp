// `mxlab queue` words and `mxlab queue list` output: what a student types, and reads to see why mail waits.
#include <gtest/gtest.h>

#include "mail/queue/listing.hpp"

namespace mxlab::queue {
namespace {

using namespace std::chrono;

store::Time at(long long s) { return store::Time(seconds(s)); }

TEST(Listing, EmptyQueueSaysSo) { EXPECT_EQ(format_queue({}, at(0)), "Mail queue is empty\n"); }

TEST(Listing, AnEntryShowsSenderRecipientsAttemptsNextTryAndTheLastError) {
    store::QueueEntry e;
    e.id = 7;
    e.sender = "bob@sina.com";
    e.size = 512;
    e.created = at(1795000000);
    e.next_try = at(1795000300);
    e.attempts = 1;
    e.last_error = "connect to mail.bigsky.com[127.0.2.10]:25: Connection refused";
    e.recipients = {{"wfisk@bigsky.com", store::RecipientState::pending, e.last_error},
                    {"dameson@bigsky.com", store::RecipientState::delivered, "250 2.0.0 Ok"}};
    EXPECT_EQ(format_queue({e}, at(1795000002)),
              "queue id 7: from <bob@sina.com>, 512 bytes, arrived 2026-11-18 11:06:40 UTC\n"
              "  attempts 1, next try 2026-11-18 11:11:40 UTC (in 4m 58s)\n"
              "  last error: connect to mail.bigsky.com[127.0.2.10]:25: Connection refused\n"
              "  to <wfisk@bigsky.com>: pending (connect to mail.bigsky.com[127.0.2.10]:25: Connection refused)\n"
              "  to <dameson@bigsky.com>: delivered (250 2.0.0 Ok)\n"
              "1 message in the queue\n");
}

TEST(Listing, ABounceHasAnEmptySenderAndAnOverdueTryIsInThePast) {
    store::QueueEntry e;
    e.id = 8;
    e.created = at(1795000000);
    e.next_try = at(1795000000);
    e.recipients = {{"x@example.org", store::RecipientState::pending, ""}};
    auto text = format_queue({e, e}, at(1795003725));
    EXPECT_NE(text.find("from <>"), std::string::npos);
    EXPECT_NE(text.find("(1h 2m 5s ago)"), std::string::npos);
    EXPECT_NE(text.find("2 messages in the queue"), std::string::npos);
}

// One reading for the CLI and the daemon: what each accepts, what it refuses and why.
TEST(QueueCommand, AcceptsListRetryAndDeleteWithTheirIds) {
    using Verb = QueueCommand::Verb;
    std::string error;
    auto c = parse_queue_command({}, error);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, Verb::list);
    c = parse_queue_command({"retry"}, error);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, Verb::retry);
    EXPECT_FALSE(c->id);
    c = parse_queue_command({"retry", "42"}, error);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->id, 42u);
    c = parse_queue_command({"delete", "7"}, error);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, Verb::remove);
    EXPECT_EQ(c->id, 7u);
}

TEST(QueueCommand, RefusesWrongWordsWithAReason) {
    struct Case {
        std::vector<std::string> words;
        std::string error;
    };
    const std::vector<Case> cases = {
        {{"delete"}, "usage: mxlab queue list | retry [ID] | delete ID"},
        {{"list", "1"}, "usage: mxlab queue list | retry [ID] | delete ID"},
        {{"retry", "1", "2"}, "usage: mxlab queue list | retry [ID] | delete ID"},
        {{"flush"}, "unknown queue command 'flush'; usage: mxlab queue list | retry [ID] | delete ID"},
        {{"delete", "x1"}, "'x1' is not a queue id (the number `mxlab queue list` shows)"},
        {{"delete", "-1"}, "'-1' is not a queue id (the number `mxlab queue list` shows)"},
        {{"delete", "0"}, "'0' is not a queue id (the number `mxlab queue list` shows)"},
        {{"retry", "99999999999999999999"}, "'99999999999999999999' is not a queue id (the number `mxlab queue list` shows)"},
        {{"retry", ""}, "'' is not a queue id (the number `mxlab queue list` shows)"},
    };
    for (const auto& c : cases) {
        std::string error;
        EXPECT_FALSE(parse_queue_command(c.words, error)) << testing::PrintToString(c.words);
        EXPECT_EQ(error, c.error) << testing::PrintToString(c.words);
    }
}

}  // namespace
}  // namespace mxlab::queue
