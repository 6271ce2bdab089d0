// The change feed: a watcher learns of a delivery at once, slow watchers see only the latest state, \Recent goes to one session, subscriptions leave nothing behind (issue 14, item 3).
#include <atomic>
#include <chrono>
#include <thread>

#include "core/asio.hpp"
#include "mail/store/change_feed.hpp"
#include "mail/store/subscription.hpp"
#include "store_fixture.hpp"

// GCC 12's false positive on Asio's coroutine frames (see async_test.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::store::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string bob = "bob@sina.com";

class FeedTest : public StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        MX_ASSERT_OK(s().ensure_user(bob));
        auto opened = s().open_mailbox(bob, "INBOX");
        MX_ASSERT_OK(opened);
        inbox_ = opened->ref;
    }
    void deliver() { ASSERT_TRUE(s().deliver(to_users({bob}), make_message("hello")).ok()); }
    // Runs the io_context on its own thread, as a server does, until `io_` runs out of work.
    void start() {
        io_thread_ = std::thread([this] { io_.run(); });
    }
    void finish() {
        if (io_thread_.joinable()) io_thread_.join();
    }
    void TearDown() override {
        finish();
        StoreTest::TearDown();
    }
    MailboxRef inbox_;
    asio::io_context io_;
    std::thread io_thread_;
};

// The bar: a session watching INBOX learns of an SMTP delivery
// (the store's deliver path) within 100 ms, with no polling.
TEST_F(FeedTest, AWatcherLearnsOfADeliveryWithin100ms) {
    std::atomic<bool> armed{false};
    std::optional<FeedUpdate> got;
    Clock::time_point woke;
    std::thread::id resumed_on;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        Subscription watch(s(), inbox_);
        armed = true;
        got = co_await watch.wait();
        woke = Clock::now();
        resumed_on = std::this_thread::get_id();
    }, asio::detached);
    start();
    for (int i = 0; i < 200 && !armed; ++i) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(20ms);  // the wait is armed before the delivery starts
    const auto sent = Clock::now();
    deliver();
    finish();
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->cancelled);
    EXPECT_LT(woke - sent, 100ms);
    EXPECT_NE(resumed_on, std::this_thread::get_id());  // on the io_context's thread, not the writer's or ours
    EXPECT_EQ(got->state.user, bob);
    EXPECT_EQ(got->state.id, inbox_.id);
    EXPECT_EQ(got->state.uidnext, 2u);
    EXPECT_EQ(got->state.messages, 1u);
    EXPECT_EQ(got->state.highest_modseq, s().mailbox(inbox_)->highest_modseq);
    EXPECT_FALSE(got->state.gone);
    ASSERT_TRUE(got->recent);
    EXPECT_EQ(got->recent->first, 1u);
    EXPECT_EQ(got->recent->last, 1u);
}

// A watcher that does not wait while 30 deliveries commit sees one update,
// the latest state, and then nothing until the next change.
TEST_F(FeedTest, ASlowWatcherSeesOnlyTheLatestState) {
    Subscription watch(s(), inbox_);
    for (int i = 0; i < 30; ++i) deliver();
    std::vector<FeedUpdate> seen;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        seen.push_back(co_await watch.wait());  // at once: news is waiting
        asio::steady_timer timer(co_await asio::this_coro::executor, 150ms);
        timer.async_wait([&](boost::system::error_code) { watch.cancel(); });
        seen.push_back(co_await watch.wait());  // nothing new: ends by the cancel
    }, asio::detached);
    io_.run();
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].state.uidnext, 31u);
    EXPECT_EQ(seen[0].state.messages, 30u);
    ASSERT_TRUE(seen[0].recent);
    EXPECT_EQ(seen[0].recent->first, 1u);
    EXPECT_EQ(seen[0].recent->last, 30u);
    EXPECT_TRUE(seen[1].cancelled);
}

// Between IMAP commands a session asks without waiting: news once per
// publish, nothing when there is none, and \Recent as a wait would give it.
TEST_F(FeedTest, APollSeesEachPublishOnceWithoutWaiting) {
    Subscription watch(s(), inbox_);
    EXPECT_FALSE(watch.poll());
    deliver();
    deliver();
    auto u = watch.poll();
    ASSERT_TRUE(u);
    EXPECT_FALSE(u->cancelled);
    EXPECT_EQ(u->state.uidnext, 3u);
    ASSERT_TRUE(u->recent);
    EXPECT_EQ(u->recent->first, 1u);
    EXPECT_EQ(u->recent->last, 2u);
    EXPECT_FALSE(watch.poll());
}

TEST_F(FeedTest, RecentGoesToExactlyOneOfTwoSessions) {
    std::vector<FeedUpdate> a, b;
    std::atomic<int> armed{0};
    auto session = [&](std::vector<FeedUpdate>& out) -> asio::awaitable<void> {
        Subscription watch(s(), inbox_);
        auto at_select = watch.claim_recent(s().mailbox(inbox_)->uidnext);  // empty INBOX: nothing
        EXPECT_FALSE(at_select);
        ++armed;
        out.push_back(co_await watch.wait());
    };
    asio::co_spawn(io_, session(a), asio::detached);
    asio::co_spawn(io_, session(b), asio::detached);
    start();
    for (int i = 0; i < 200 && armed < 2; ++i) std::this_thread::sleep_for(5ms);
    std::this_thread::sleep_for(20ms);
    deliver();
    finish();
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(a[0].state.uidnext, 2u);
    EXPECT_EQ(b[0].state.uidnext, 2u);
    EXPECT_NE(a[0].recent.has_value(), b[0].recent.has_value()) << "\\Recent must go to exactly one session";
    // A session opening INBOX afterwards finds UID 1 handed out already.
    Subscription later(s(), inbox_);
    EXPECT_FALSE(later.claim_recent(2));
    deliver();
    auto mine = later.claim_recent(3);  // it learns of UID 2 first
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->first, 2u);
    EXPECT_EQ(mine->last, 2u);
}

// Subscriptions that go away, waiting or not, leave no channel or subscriber
// behind (the leak check of an ASan run covers the rest), and a wait still
// pending completes as cancelled.
TEST_F(FeedTest, SubscriptionsThatGoAwayLeaveNothingBehind) {
    auto other = s().open_mailbox(bob, "Trash");
    MX_ASSERT_OK(other);
    int cancelled = 0;
    {
        std::vector<std::unique_ptr<Subscription>> subs;
        for (int i = 0; i < 100; ++i) subs.push_back(std::make_unique<Subscription>(s(), i % 2 ? inbox_ : other->ref));
        EXPECT_EQ(s().feed().channels(), 2u);
        EXPECT_EQ(s().feed().subscribers(), 100u);
        for (int i = 0; i < 10; ++i)
            asio::co_spawn(io_, [&, sub = subs[i].get()]() -> asio::awaitable<void> {
                auto u = co_await sub->wait();
                if (u.cancelled) ++cancelled;
            }, asio::detached);
        io_.run_for(50ms);  // the ten waits are armed
    }
    io_.restart();
    io_.run();
    EXPECT_EQ(cancelled, 10);
    EXPECT_EQ(s().feed().channels(), 0u);
    EXPECT_EQ(s().feed().subscribers(), 0u);
    deliver();  // publishing to nobody is fine
}

TEST_F(FeedTest, AWatcherLearnsThatItsMailboxWasRenamedAway) {
    Subscription watch(s(), inbox_);
    MX_ASSERT_OK(s().rename_mailbox(bob, "INBOX", "Old"));
    std::optional<FeedUpdate> got;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> { got = co_await watch.wait(); }, asio::detached);
    io_.run();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->state.gone);
    EXPECT_FALSE(got->recent);
}

// A write that fails publishes nothing: its changes were rolled back.
TEST_F(FeedTest, AFailedWritePublishesNothing) {
    Subscription watch(s(), inbox_);
    EXPECT_EQ(s().move(inbox_, all_uids(), "INBOX").code(), Errc::invalid);
    EXPECT_EQ(s().append(bob, "Nope", make_message("x")).code(), Errc::not_found);
    std::optional<FeedUpdate> got;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        timer.async_wait([&](boost::system::error_code) { watch.cancel(); });
        got = co_await watch.wait();
    }, asio::detached);
    io_.run();
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->cancelled);
}

}  // namespace
}  // namespace mxlab::store::test
