// AsyncStore from Asio coroutines: results resume on the caller's thread, big messages stage and stream, concurrent coroutines share syncs.
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/asio.hpp"
#include "mail/codec/mime.hpp"
#include "mail/store/async_store.hpp"
#include "store_fixture.hpp"

// GCC 12 inlines Asio's awaitable frame allocation into coroutines that await
// other coroutines, then warns that the frame's class operator delete frees
// it: a false positive (as in dns/resolver.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::store::test {
namespace {

// Runs one coroutine to completion on its own io_context (this thread);
// an exception in it fails the test by escaping run().
template <class F>
void run_coroutine(F f) {
    asio::io_context io;
    asio::co_spawn(io, f(), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
    });
    io.run();
}

// A call that throws on the pool (bad_alloc, a bug) must not take the pool
// thread, and with it the daemon, down: the exception comes out of the
// co_await, where the connection's coroutine ends, and the pool serves on.
TEST_F(StoreTest, AnExceptionOnThePoolReachesTheAwaitingCoroutine) {
    AsyncStore async(s(), 1);
    std::string caught;
    run_coroutine([&]() -> asio::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto boom = [&](Store&) -> Status { throw std::runtime_error("boom " + std::to_string(i)); };
            try {
                Status r = co_await async.run(boom);
                ADD_FAILURE() << "no exception; ok=" << r.ok();
            } catch (const std::runtime_error& e) {
                caught += std::string(e.what()) + ";";
            }
        }
        auto ensured = co_await async.ensure_user("bob@sina.com");
        EXPECT_TRUE(ensured.ok());
    });
    EXPECT_EQ(caught, "boom 0;boom 1;boom 2;");
}

TEST_F(StoreTest, AsyncCallsResumeOnTheCallersThread) {
    AsyncStore async(s());
    bool finished = false;
    run_coroutine([&]() -> asio::awaitable<void> {
        const auto me = std::this_thread::get_id();
        // g++ 12 rejects a braced list of string literals in a co_await's
        // full-expression ("array used as initializer"): envelopes are built
        // first, and co_await results are checked in separate statements.
        const Envelope to_bob = to_users({"bob@sina.com"});
        auto ensured = co_await async.ensure_user("bob@sina.com");
        EXPECT_TRUE(ensured.ok());
        const std::string small = make_message("small");
        const std::string big = make_message("big", 600 * 1024);  // staged on the pool
        auto d1 = co_await async.deliver(to_bob, small);
        EXPECT_EQ(std::this_thread::get_id(), me);
        auto d2 = co_await async.deliver(to_bob, big);
        EXPECT_EQ(std::this_thread::get_id(), me);
        EXPECT_TRUE(d1.ok() && d2.ok());

        auto ms = co_await async.messages("bob@sina.com", "INBOX");
        EXPECT_EQ(std::this_thread::get_id(), me);
        EXPECT_TRUE(ms.ok() && ms->size() == 2);

        auto reader = co_await async.open_message("bob@sina.com", "INBOX", 2);
        EXPECT_TRUE(reader.ok());
        std::string back;
        if (reader) {
            for (;;) {
                auto piece = co_await async.next(*reader);
                EXPECT_TRUE(piece.ok());
                if (!piece || piece->empty()) break;
                back.append(*piece);
            }
        }
        EXPECT_EQ(std::this_thread::get_id(), me);
        EXPECT_TRUE(back == big);
        auto first = co_await async.read_message("bob@sina.com", "INBOX", 1);
        EXPECT_TRUE(first.ok() && *first == small);
        auto box = co_await async.open_mailbox("bob@sina.com", "INBOX");
        EXPECT_TRUE(box.ok());
        if (box) {
            auto structure = co_await async.structure(box->ref, 2);
            EXPECT_EQ(std::this_thread::get_id(), me);
            EXPECT_TRUE(structure.ok() && *structure == codec::parse_mime(big));
        }

        auto flags = co_await async.store_flags("bob@sina.com", "INBOX", one_uid(1), FlagOp::add, Flags{flag_deleted, {}});
        EXPECT_TRUE(flags.ok());
        auto gone = co_await async.expunge("bob@sina.com", "INBOX");
        EXPECT_TRUE(gone.ok() && *gone == std::vector<Uid>{1});
        auto created = co_await async.create_mailbox("bob@sina.com", "Lab");
        EXPECT_TRUE(created.ok());
        auto moved = co_await async.move("bob@sina.com", "INBOX", all_uids(), "Lab");
        EXPECT_TRUE(moved.ok() && moved->target == std::vector<Uid>{1});
        auto lab = co_await async.mailbox("bob@sina.com", "Lab");
        EXPECT_TRUE(lab.ok() && lab->messages == 1);
        auto appended = co_await async.append("bob@sina.com", "Drafts", small, Flags{flag_draft, {}});
        EXPECT_TRUE(appended.ok() && appended->uid == 1);

        // Errors come back as values, on this thread too.
        auto missing = co_await async.messages("bob@sina.com", "Nope");
        EXPECT_EQ(std::this_thread::get_id(), me);
        EXPECT_EQ(missing.code(), Errc::not_found);
        auto refused = co_await async.delete_mailbox("bob@sina.com", "INBOX");
        EXPECT_EQ(refused.code(), Errc::invalid);

        Envelope out = to_users({});
        out.remote_recipients = {"wfisk@bigsky.com"};
        auto q = co_await async.deliver(out, small);
        EXPECT_TRUE(q.ok() && q->queued);
        auto due = co_await async.queue_due(Time(std::chrono::hours(24 * 365 * 100)));
        EXPECT_TRUE(due.ok() && due->size() == 1);
        QueueUpdate u;
        u.last_error = "deferred";
        auto updated = co_await async.update_queue(*q->queued, u);
        EXPECT_TRUE(updated.ok() && updated->attempts == 1);
        auto removed = co_await async.remove_queue(*q->queued);
        EXPECT_TRUE(removed.ok());
        auto left = co_await async.queue();
        EXPECT_TRUE(left.ok() && left->empty());
        EXPECT_EQ(std::this_thread::get_id(), me);
        finished = true;
    });
    EXPECT_TRUE(finished);
}

TEST_F(DiskStoreTest, ConcurrentCoroutinesShareSyncs) {
    AsyncStore async(s());
    constexpr int sessions = 20, per_session = 10;
    asio::io_context io;
    std::set<Uid> uids;
    int failures = 0;
    const std::string raw = make_message("session", 4096);
    const Envelope to_bob = to_users({"bob@sina.com"});
    for (int i = 0; i < sessions; ++i)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (int k = 0; k < per_session; ++k) {
                    auto d = co_await async.deliver(to_bob, raw);
                    if (d) uids.insert(d->local[0].uid);  // one io thread: no lock needed
                    else ++failures;
                }
            },
            [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
    io.run();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(uids.size(), std::size_t(sessions * per_session));
    auto st = s().stats();
    std::printf("[ store ] %d coroutines x %d deliveries: %llu syncs\n", sessions, per_session, (unsigned long long)st.syncs);
    EXPECT_LT(st.syncs, st.writes);
}

}  // namespace
}  // namespace mxlab::store::test
