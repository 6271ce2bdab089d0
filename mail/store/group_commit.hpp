// Group commit: one writer thread applies queued writes into one batch and makes them durable with one WAL sync.
//
// Design. Every change to the store is a PendingWrite handed to submit(). The
// writer thread takes everything queued (up to max_group), and for each write
// in order: sets a savepoint in a WriteBatchWithIndex, runs the write's
// apply() against a WriteTxn (reads see the database plus the batch so far),
// and on error rolls back to the savepoint, so a failed write leaves no trace
// and does not fail its neighbours. Then one DB::Write with sync = true makes
// the whole group durable, and only after that does each write's completion
// run (a promise for the synchronous API, a post to the caller's executor for
// AsyncStore), once the change feed has heard which mailboxes the group
// changed: by the time a client sees a write acknowledged, the sessions
// watching its mailbox have been woken. While the writer syncs, new writes
// queue up and form the next group: the busier the store, the bigger the
// groups, one fsync for each.
//
// Flag changes (IMAP STORE, \Seen set by a FETCH) are the one exception to
// "synced before acknowledged", as Dovecot's default mail_fsync = optimized
// makes them: a group of nothing but flag changes is written to the WAL
// without a sync (it survives a crash of the process, not of the machine),
// and the next group with anything else syncs it with its own. New mail,
// expunges, copies, mailbox and queue changes are always synced first. A
// busy IMAP client flagging messages then costs a WAL write, not an fsync.
//
// Why one writer: UIDNEXT, MODSEQ, counters and blob refcounts are read-modify-
// write; doing them on one thread makes them race-free with no locks, and
// because the batch is only written once synced, no reader ever sees a change
// that could still be lost (an IMAP client never sees a UID that a crash then
// hands to another message). The thread's work per write is a few lookups and
// puts; the cost of the store is the sync, which is shared.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store {

class ChangeFeed;
class Db;
class WriteTxn;

class PendingWrite {
public:
    virtual ~PendingWrite() = default;
    // On the writer thread: add this write's changes through `txn`. An error
    // rolls back this write only.
    virtual Status apply(WriteTxn& txn) = 0;
    // On the writer thread after the group's synced write, or on the caller's
    // thread when the store is closed (then apply never ran). `commit` is the
    // group's write status. Must be quick: the next group waits for it.
    virtual void complete(const Status& commit) = 0;
    // false: this write alone does not need the group synced (flag changes; see above).
    bool durable = true;
};

// A write whose apply is `fn(WriteTxn&) -> Result<T>` and whose result goes to `done(Result<T>)`.
template <class T, class Fn, class Done>
class TypedWrite final : public PendingWrite {
public:
    TypedWrite(Fn fn, Done done) : fn_(std::move(fn)), done_(std::move(done)) {}

    Status apply(WriteTxn& txn) override {
        result_.emplace(fn_(txn));
        if (result_->ok()) return {};
        return result_->error();
    }

    void complete(const Status& commit) override {
        if (!result_) done_(Result<T>(commit.ok() ? make_error(Errc::closed, "the mail store is closed") : commit.error()));
        else if (!commit.ok() && result_->ok()) done_(Result<T>(commit.error()));
        else done_(std::move(*result_));
    }

private:
    Fn fn_;
    Done done_;
    std::optional<Result<T>> result_;
};

template <class T, class Fn, class Done>
std::unique_ptr<PendingWrite> make_write(Fn fn, Done done, bool durable = true) {
    auto w = std::make_unique<TypedWrite<T, Fn, Done>>(std::move(fn), std::move(done));
    w->durable = durable;
    return w;
}

class GroupCommit {
public:
    // `feed` (may be null) hears each synced group's mailbox states (change_feed.hpp).
    GroupCommit(const Db& db, std::atomic<BlobId>& next_blob, ChangeFeed* feed, std::size_t max_group = 1024);
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    void submit(std::unique_ptr<PendingWrite> write);
    // Commits everything already queued, then stops the thread; later submits
    // complete with Errc::closed. Idempotent.
    void stop();
    StoreStats stats() const;

private:
    void run();
    void commit_group(std::vector<std::unique_ptr<PendingWrite>>& group);

    const Db& db_;
    std::atomic<BlobId>& next_blob_;
    ChangeFeed* feed_;
    const std::size_t max_group_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<PendingWrite>> queue_;
    bool stopping_ = false;

    std::atomic<std::uint64_t> writes_{0}, failed_{0}, groups_{0}, syncs_{0}, max_seen_{0};
    std::thread thread_;  // last: starts after everything above exists
};

}  // namespace mxlab::store
