// Tests for mail/net/read_budget: a trickle runs out of time, a client at the minimum rate does not, and the session cap holds.
#include "mail/net/read_budget.hpp"

#include <gtest/gtest.h>

namespace mxlab::mail::net {
namespace {

using namespace std::chrono_literals;
using Clock = ReadBudget::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;
const ReadBudget::Policy policy{300s, 500, 3600s};

// Issue 12, finding 7: one byte every 299 s held a slot forever, since each byte reset the deadline.
TEST(ReadBudget, TrickleRunsOut) {
    ReadBudget b(policy, t0);
    b.answered(t0);
    auto now = t0;
    int bytes = 0;
    while (now + 299s < b.deadline()) {
        now += 299s;
        b.received(1, now);
        ++bytes;
    }
    EXPECT_EQ(bytes, 1);  // the second byte comes too late
    EXPECT_LT(b.deadline(), t0 + 301s);
}

TEST(ReadBudget, AnswerGivesAFullTimeout) {
    ReadBudget b(policy, t0);
    b.received(10, t0 + 100s);
    EXPECT_LT(b.deadline(), t0 + 301s);
    b.answered(t0 + 200s);
    EXPECT_EQ(b.deadline(), t0 + 500s);
}

// A long DATA at the minimum rate keeps going; each read never earns more than a full timeout ahead.
TEST(ReadBudget, MinimumRateKeepsGoing) {
    ReadBudget b(policy, t0);
    b.answered(t0);
    auto now = t0;
    for (int i = 0; i < 3000; ++i) {  // 50 min at 500 bytes/s, in 1 s reads
        now += 1s;
        ASSERT_LE(now, b.deadline()) << i;
        b.received(500, now);
        ASSERT_LE(b.deadline(), now + 300s);
    }
}

TEST(ReadBudget, BelowTheRateRunsOutEventually) {
    ReadBudget b(policy, t0);
    b.answered(t0);
    auto now = t0;
    int reads = 0;
    while (now + 1s <= b.deadline() && reads < 100000) {
        now += 1s;
        b.received(250, now);  // half the rate: half a second earned per second
        ++reads;
    }
    EXPECT_GT(reads, 300);
    EXPECT_LT(reads, 100000);
}

TEST(ReadBudget, SessionCapHoldsWhateverTheRate) {
    ReadBudget b(policy, t0);
    auto now = t0;
    while (now < t0 + 3599s) {
        now += 10s;
        b.answered(now);
        b.received(1 << 20, now);
    }
    EXPECT_EQ(b.deadline(), t0 + 3600s);
    EXPECT_EQ(b.session_end(), t0 + 3600s);
}

TEST(ReadBudget, DefaultNeverOverflows) {
    ReadBudget b;
    b.received(1 << 30, t0);
    EXPECT_LE(b.deadline(), t0 + 300s);
}

// Issue 14, item 7: under stress a client that owes a command gets the shorter time, and bytes still extend it only up to the normal cap.
TEST(ReadBudget, StressShortensTheWait) {
    ReadBudget b(policy, t0);
    b.answered(t0);
    EXPECT_EQ(b.deadline(), t0 + 300s);
    b.shorten(t0 + 5s + policy.stress_timeout);
    EXPECT_EQ(b.deadline(), t0 + 15s);
    b.shorten(t0 + 100s);  // never later
    EXPECT_EQ(b.deadline(), t0 + 15s);
}

}  // namespace
}  // namespace mxlab::mail::net
