// The store for Asio coroutines: blocking reads run on a small thread pool, writes ride the group commit, and every result resumes on the caller's executor.
//
// Why not one pool for everything: a write waits for its group's WAL sync; a
// pool thread parked on that wait could not serve anyone else, and with 20
// SMTP sessions and 2 pool threads the groups would never grow past 2. So a
// write goes straight to the writer thread with a completion that posts back
// to the coroutine's executor, and no thread waits for it. Reads (and the
// staging of big messages, an unsynced RocksDB write) are short blocking calls
// and do run on the pool, never on a network thread.
//
// string_view arguments (raw messages) must stay valid until the co_await
// completes, as with Asio buffers; everything else is copied.
//
// g++ 12 pitfall (checked with ASan): a lambda with by-value captures written
// inside a co_await expression, as in co_await async.run([name](Store& s) {...}),
// is destroyed twice: heap corruption. Capture by reference (the coroutine's
// frame outlives the call), or name the lambda in its own statement first.
// Likewise a braced list of string literals in a co_await's full-expression
// does not compile ("array used as initializer"): build it beforehand.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/asio.hpp"
#include "mail/store/store.hpp"

namespace mxlab::store {

class AsyncStore {
public:
    explicit AsyncStore(Store& store, std::size_t threads = 2);
    ~AsyncStore();  // waits for the calls in flight
    AsyncStore(const AsyncStore&) = delete;
    AsyncStore& operator=(const AsyncStore&) = delete;

    Store& sync() { return store_; }

    // Any blocking call on the pool, e.g.
    //   auto n = co_await async.run([&](Store& s) { return writer.append(bytes); });
    // (capture by reference: see the g++ 12 note above). An exception from
    // `f` (bad_alloc, a bug) is rethrown in the awaiting coroutine, as if `f`
    // had run there: escaping a pool thread, it would end the process.
    template <class F>
    auto run(F f) -> asio::awaitable<std::invoke_result_t<F&, Store&>> {
        using R = std::invoke_result_t<F&, Store&>;
        return bridge<R>([this, f = std::move(f)](std::function<void(std::exception_ptr, R)> done) mutable {
            asio::post(pool_, [this, f = std::move(f), done = std::move(done)]() mutable {
                std::optional<R> r;
                std::exception_ptr failure;
                try {
                    r.emplace(f(store_));
                } catch (...) {
                    failure = std::current_exception();
                }
                done(failure, r ? std::move(*r) : stand_in<R>());
            });
        });
    }

    // ---- users and mailboxes ----
    asio::awaitable<Status> ensure_user(std::string user);
    asio::awaitable<Result<std::vector<MailboxInfo>>> mailboxes(std::string user);
    asio::awaitable<Result<MailboxInfo>> mailbox(std::string user, std::string name);
    asio::awaitable<Status> create_mailbox(std::string user, std::string name);
    asio::awaitable<Status> rename_mailbox(std::string user, std::string from, std::string to);
    asio::awaitable<Status> delete_mailbox(std::string user, std::string name);
    asio::awaitable<Status> subscribe(std::string user, std::string name);
    asio::awaitable<Status> unsubscribe(std::string user, std::string name);
    asio::awaitable<Result<std::vector<std::string>>> subscriptions(std::string user);

    // ---- a session's mailbox (store.hpp, open_mailbox) ----
    asio::awaitable<Result<OpenedMailbox>> open_mailbox(std::string user, std::string name);
    asio::awaitable<Result<std::vector<MessageInfo>>> messages(MailboxRef mailbox, UidSet uids = all_uids());
    asio::awaitable<Result<MessageReader>> open_message(MailboxRef mailbox, Uid uid);
    asio::awaitable<Result<codec::MessageStructure>> structure(MailboxRef mailbox, Uid uid);
    asio::awaitable<Result<std::vector<FlagChange>>> store_flags(MailboxRef mailbox, UidSet uids, FlagOp op, Flags flags);
    asio::awaitable<Result<FlagStoreResult>> store_flags(MailboxRef mailbox, UidSet uids, FlagOp op, Flags flags, ModSeq unchanged_since);
    asio::awaitable<Result<Changes>> changes_since(MailboxRef mailbox, ModSeq since);
    asio::awaitable<Result<CopyResult>> copy(MailboxRef from, UidSet uids, std::string to);
    asio::awaitable<Result<CopyResult>> move(MailboxRef from, UidSet uids, std::string to);
    asio::awaitable<Result<std::vector<Uid>>> expunge(MailboxRef mailbox, UidSet uids = all_uids());
    asio::awaitable<Result<std::vector<Uid>>> remove_messages(MailboxRef mailbox, UidSet uids);

    // ---- messages, by name at each call ----
    asio::awaitable<Result<std::vector<MessageInfo>>> messages(std::string user, std::string mailbox, UidSet uids = all_uids());
    asio::awaitable<Result<std::string>> read_message(std::string user, std::string mailbox, Uid uid);
    asio::awaitable<Result<MessageReader>> open_message(std::string user, std::string mailbox, Uid uid);
    // The reader's next chunk (the read may touch the disk, so it runs on the pool).
    asio::awaitable<Result<std::string_view>> next(MessageReader& reader);
    asio::awaitable<Result<AppendResult>> append(std::string user, std::string mailbox, std::string_view raw, Flags flags = {},
                                                 Time date = {}, std::int16_t zone_minutes = 0);
    asio::awaitable<Result<AppendResult>> append(std::string user, std::string mailbox, StagedBlob staged, Flags flags = {},
                                                 Time date = {}, std::int16_t zone_minutes = 0);
    asio::awaitable<Result<std::vector<FlagChange>>> store_flags(std::string user, std::string mailbox, UidSet uids, FlagOp op,
                                                                 Flags flags);
    asio::awaitable<Result<CopyResult>> copy(std::string user, std::string from, UidSet uids, std::string to);
    asio::awaitable<Result<CopyResult>> move(std::string user, std::string from, UidSet uids, std::string to);
    asio::awaitable<Result<std::vector<Uid>>> expunge(std::string user, std::string mailbox, UidSet uids = all_uids());
    asio::awaitable<Result<std::vector<Uid>>> remove_messages(std::string user, std::string mailbox, UidSet uids);

    // ---- delivery and queue ----
    asio::awaitable<Result<StagedBlob>> stage_message(std::string_view raw);
    asio::awaitable<Result<DeliverResult>> deliver(Envelope env, std::string_view raw);
    asio::awaitable<Result<DeliverResult>> deliver(Envelope env, StagedBlob staged);
    asio::awaitable<Result<std::vector<QueueEntry>>> queue();
    asio::awaitable<Result<QueueEntry>> queue_entry(QueueId id);
    asio::awaitable<Result<std::vector<QueueEntry>>> queue_due(Time at, std::size_t limit = 1000);
    asio::awaitable<Result<QueueEntry>> update_queue(QueueId id, QueueUpdate update);
    asio::awaitable<Status> remove_queue(QueueId id);

private:
    // Turns "start(done)" (done called once, on any thread) into an awaitable
    // that resumes on the awaiting coroutine's executor; a non-null
    // exception_ptr is thrown there instead of returning the R.
    template <class R, class Start>
    static asio::awaitable<R> bridge(Start start) {
        // Plain code, not a coroutine: the initiation lambda below owns `start`
        // (by-value captures), which g++ 12 mishandles inside co_await (above).
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
            [start = std::move(start)](auto handler) mutable {
                // Tracked work keeps the caller's io_context running until we resume it.
                auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                start(std::function<void(std::exception_ptr, R)>([h, ex](std::exception_ptr e, R r) {
                    asio::post(ex, [h, e, r = std::move(r)]() mutable { (*h)(e, std::move(r)); });
                }));
            },
            asio::use_awaitable);
    }

    // What `done` gets beside an exception: never seen by the coroutine.
    template <class R>
    static R stand_in() {
        if constexpr (std::is_default_constructible_v<R>) return R{};
        else return R(make_error(Errc::io, "internal error"));
    }

    template <class T, class Call>
    static asio::awaitable<Result<T>> write(Call call) {
        return bridge<Result<T>>([call = std::move(call)](std::function<void(std::exception_ptr, Result<T>)> done) mutable {
            call(Callback<T>([done = std::move(done)](Result<T> r) { done(nullptr, std::move(r)); }));
        });
    }

    Store& store_;
    asio::thread_pool pool_;
};

}  // namespace mxlab::store
