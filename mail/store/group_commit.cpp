// The writer thread: groups queued writes into one batch and one synced RocksDB write (design in group_commit.hpp).
#include "mail/store/group_commit.hpp"

#include <chrono>

#include "mail/store/change_feed.hpp"
#include "mail/store/db.hpp"
#include "mail/store/txn.hpp"

namespace mxlab::store {

GroupCommit::GroupCommit(const Db& db, std::atomic<BlobId>& next_blob, ChangeFeed* feed, std::size_t max_group)
    : db_(db), next_blob_(next_blob), feed_(feed), max_group_(max_group), thread_([this] { run(); }) {}

GroupCommit::~GroupCommit() { stop(); }

void GroupCommit::submit(std::unique_ptr<PendingWrite> write) {
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(write));
            wake_.notify_one();
            return;
        }
    }
    write->complete(make_error(Errc::closed, "the mail store is closed"));
}

void GroupCommit::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

StoreStats GroupCommit::stats() const {
    StoreStats s;
    s.writes = writes_.load();
    s.failed = failed_.load();
    s.groups = groups_.load();
    s.syncs = syncs_.load();
    s.max_group = max_seen_.load();
    return s;
}

void GroupCommit::run() {
    std::vector<std::unique_ptr<PendingWrite>> group;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
            if (queue_.empty()) return;  // stopping, and everything queued is committed
            while (!queue_.empty() && group.size() < max_group_) {
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        commit_group(group);
        group.clear();
    }
}

void GroupCommit::commit_group(std::vector<std::unique_ptr<PendingWrite>>& group) {
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    WriteTxn txn(db_, batch, next_blob_, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
    std::uint64_t ok = 0;
    bool durable = false;
    for (auto& w : group) {
        durable = durable || w->durable;
        batch.SetSavePoint();
        const std::size_t noted = txn.notes().size();
        Status applied;
        try {
            applied = w->apply(txn);
        } catch (const std::exception& e) {  // a bug or bad_alloc must not take the writer thread down
            applied = make_error(Errc::io, std::string("internal error: ") + e.what());
        }
        if (applied.ok()) {
            batch.PopSavePoint().PermitUncheckedError();
            ++ok;
        } else {
            batch.RollbackToSavePoint().PermitUncheckedError();
            txn.notes().resize(noted);  // what it saved was not written
        }
    }

    Status commit;
    if (batch.GetWriteBatch()->Count() > 0) {
        rocksdb::WriteOptions wo;
        wo.sync = durable;  // the acknowledgement of every write in the group depends on this (but flag changes')
        auto s = db_.get()->Write(wo, batch.GetWriteBatch());
        if (durable) syncs_.fetch_add(1);
        if (!s.ok()) commit = db_error(s, "commit");
    }
    groups_.fetch_add(1);
    if (commit.ok()) writes_.fetch_add(ok);
    failed_.fetch_add(commit.ok() ? group.size() - ok : group.size());
    std::uint64_t n = group.size(), seen = max_seen_.load();
    while (n > seen && !max_seen_.compare_exchange_weak(seen, n)) {
    }

    if (commit.ok() && feed_ && !txn.notes().empty()) {
        try {
            feed_->publish(std::move(txn.notes()));
        } catch (...) {  // bad_alloc: watchers miss this news (their next read sees it), the writer goes on
        }
    }
    for (auto& w : group) {
        try {
            w->complete(commit);
        } catch (...) {  // a completion that throws loses only its own result
        }
    }
}

}  // namespace mxlab::store
