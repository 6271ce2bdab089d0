// Concurrent writers: race-free UIDs, group commit sharing one WAL sync, a failing write isolated in its group, and a throughput figure.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

// Counts completions of Callback-form writes and waits for them. A callback
// calls add() last: once wait_for() returns, the test's locals may be gone
// while the writer thread is still unwinding that callback.
class Completions {
public:
    void add(bool ok) {
        std::lock_guard lock(mutex_);
        ++done_;
        ok_ += ok ? 1 : 0;
        cv_.notify_all();
    }
    void wait_for(int n) {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return done_ >= n; });
    }
    int ok() {
        std::lock_guard lock(mutex_);
        return ok_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    int done_ = 0, ok_ = 0;
};

TEST_F(DiskStoreTest, EightThreadsDeliverWithoutDuplicateUids) {
    constexpr int threads = 8, per_thread = 50;
    std::vector<std::thread> workers;
    std::vector<std::vector<Uid>> uids(threads);
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                // Every delivery goes to bob; every other one to jack as well.
                std::vector<std::string> to{"bob@sina.com"};
                if (i % 2) to.push_back("jack@sina.com");
                auto d = s().deliver(to_users(to), make_message("t" + std::to_string(t) + "m" + std::to_string(i)));
                if (!d) ++failures;
                else uids[t].push_back(d->local[0].uid);
            }
        });
    for (auto& w : workers) w.join();
    ASSERT_EQ(failures.load(), 0);

    std::set<Uid> seen;
    for (const auto& v : uids) {
        for (std::size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);  // each writer sees its UIDs grow
        seen.insert(v.begin(), v.end());
    }
    EXPECT_EQ(seen.size(), std::size_t(threads * per_thread));  // no UID handed out twice
    auto all = s().messages("bob@sina.com", "INBOX");
    MX_ASSERT_OK(all);
    ASSERT_EQ(all->size(), std::size_t(threads * per_thread));
    for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].uid, i + 1);  // dense: 1..400
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->uidnext, Uid(threads * per_thread + 1));
    EXPECT_EQ(s().mailbox("jack@sina.com", "INBOX")->messages, std::uint32_t(threads * per_thread / 2));

    auto st = s().stats();
    std::printf("[ store ] %llu deliveries from %d threads in %llu syncs (largest group %llu)\n",
                (unsigned long long)st.writes, threads, (unsigned long long)st.syncs, (unsigned long long)st.max_group);
    EXPECT_LT(st.syncs, st.writes);
}

TEST_F(StoreTest, WritesQueuedDuringAGroupShareTheNextSync) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    constexpr int n = 30;
    const std::string raw = make_message("group");
    Completions c;
    auto before = s().stats();
    // The first write's completion runs on the writer thread between groups:
    // the 30 writes it submits are all queued before the next group forms.
    s().deliver(to_users({"bob@sina.com"}), raw, [&](Result<DeliverResult> first) {
        for (int i = 0; i < n; ++i) s().deliver(to_users({"bob@sina.com"}), raw, [&](Result<DeliverResult> r) { c.add(r.ok()); });
        c.add(first.ok());
    });
    c.wait_for(n + 1);
    EXPECT_EQ(c.ok(), n + 1);
    auto after = s().stats();
    EXPECT_EQ(after.writes - before.writes, std::uint64_t(n + 1));
    EXPECT_EQ(after.syncs - before.syncs, 2u);  // 31 acknowledged deliveries, 2 WAL syncs
    EXPECT_GE(after.max_group, std::uint64_t(n));
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, std::uint32_t(n + 1));
}

TEST_F(StoreTest, AFailingWriteDoesNotFailItsGroup) {
    MX_ASSERT_OK(s().ensure_user("bob@sina.com"));
    const std::string raw = make_message("neighbours");
    Completions c;
    Result<DeliverResult> a = make_error(Errc::io, "unset"), b = a;
    Status created = make_error(Errc::io, "unset"), renamed = created;
    s().deliver(to_users({"bob@sina.com"}), raw, [&](Result<DeliverResult>) {
        s().deliver(to_users({"bob@sina.com"}), raw, [&](Result<DeliverResult> r) { a = std::move(r); c.add(true); });
        s().create_mailbox("bob@sina.com", "Sent", [&](Status r) { created = std::move(r); c.add(true); });
        s().deliver(to_users({"bob@sina.com"}), raw, [&](Result<DeliverResult> r) { b = std::move(r); c.add(true); });
        s().rename_mailbox("bob@sina.com", "Nope", "Other", [&](Status r) { renamed = std::move(r); c.add(true); });
        c.add(true);
    });
    c.wait_for(5);
    MX_ASSERT_OK(a);
    MX_ASSERT_OK(b);
    EXPECT_EQ(created.code(), Errc::already_exists);
    EXPECT_EQ(renamed.code(), Errc::not_found);
    EXPECT_EQ(a->local[0].uid, 2u);
    EXPECT_EQ(b->local[0].uid, 3u);  // the failed writes between them left nothing behind
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, 3u);
    EXPECT_EQ(s().mailbox("bob@sina.com", "Other").code(), Errc::not_found);
}

TEST_F(StoreTest, WritesInOneGroupSeeEachOther) {
    // Reads inside the writer go through the pending batch: a second first
    // delivery to a new user must not provision it again, and two CREATEs of
    // one name in a group must not both succeed.
    const std::string raw = make_message("overlay");
    Completions c;
    std::vector<Uid> uids;
    std::vector<std::string> creates;
    std::mutex m;
    s().ensure_user("bob@sina.com", [&](Status) {
        for (int i = 0; i < 3; ++i)
            s().deliver(to_users({"new@sina.com"}), raw, [&](Result<DeliverResult> r) {
                {
                    std::lock_guard lock(m);
                    uids.push_back(r ? r->local[0].uid : 0);
                }
                c.add(r.ok());
            });
        for (int i = 0; i < 2; ++i)
            s().create_mailbox("new@sina.com", "X", [&](Status r) {
                {
                    std::lock_guard lock(m);
                    creates.emplace_back(r ? "ok" : to_string(r.code()));
                }
                c.add(true);
            });
        c.add(true);
    });
    c.wait_for(6);
    EXPECT_EQ(uids, (std::vector<Uid>{1, 2, 3}));
    EXPECT_EQ(creates, (std::vector<std::string>{"ok", "already_exists"}));
    EXPECT_EQ(s().mailboxes("new@sina.com")->size(), 6u);
    EXPECT_EQ(s().mailbox("new@sina.com", "INBOX")->messages, 3u);
}

// The figure for issue 4's SMTP bar: 20 concurrent writers, 4 KB messages,
// each acknowledged only after its WAL sync. tests/bench/store runs it longer.
TEST_F(DiskStoreTest, TwentyWritersThroughput) {
    constexpr int writers = 20, per_writer = 40;
    const std::string raw = make_message("throughput", 4096);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < writers; ++t)
        threads.emplace_back([&, t] {
            const std::vector<std::string> users{"user" + std::to_string(t % 5) + "@sina.com"};
            for (int i = 0; i < per_writer; ++i)
                if (!s().deliver(to_users(users), raw)) ++failures;
        });
    for (auto& t : threads) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(failures.load(), 0);
    auto st = s().stats();
    double rate = writers * per_writer / seconds;
    std::printf("[ store ] 20 writers x %d x 4 KB: %.0f deliveries/s, %llu syncs, %.1f per sync\n", per_writer, rate,
                (unsigned long long)st.syncs, double(st.writes) / double(st.syncs));
    RecordProperty("deliveries_per_second", static_cast<int>(rate));
}

}  // namespace
}  // namespace mxlab::store::test
