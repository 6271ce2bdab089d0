// Reading the store's keys: straight from RocksDB (DbRead), or through the writer's pending batch (WriteTxn).
//
// The operations in *_ops.cpp read through KvRead, so the same helper (say,
// load a mailbox record) serves both the read API and the writer thread,
// where it must also see what earlier operations of the same group wrote.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/utilities/write_batch_with_index.h>

#include "mail/store/db.hpp"
#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store {

using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;  // false stops the scan

class KvRead {
public:
    virtual ~KvRead() = default;
    // The value, or nullopt when the key is absent.
    virtual Result<std::optional<std::string>> get(Cf cf, std::string_view key) = 0;
    // Keys in [from, to) in order (to empty: to the end of the family).
    virtual Status scan(Cf cf, std::string_view from, std::string_view to, const ScanFn& fn) = 0;

    Status scan_prefix(Cf cf, std::string_view prefix, const ScanFn& fn);
};

// The first key after every key that starts with `prefix` ("" if none is).
std::string prefix_end(std::string_view prefix);

// Reads committed data; with a snapshot, a consistent view across calls.
class DbRead final : public KvRead {
public:
    explicit DbRead(const Db& db, const rocksdb::Snapshot* snapshot = nullptr) : db_(db) { opts_.snapshot = snapshot; }
    Result<std::optional<std::string>> get(Cf cf, std::string_view key) override;
    Status scan(Cf cf, std::string_view from, std::string_view to, const ScanFn& fn) override;

private:
    const Db& db_;
    rocksdb::ReadOptions opts_;
};

// One operation's view inside the writer thread: reads see the committed
// data plus everything earlier operations of this group put in the batch.
// Only the writer thread has one, which is what makes UID allocation and
// refcounts race-free without locks (group_commit.hpp).
class WriteTxn final : public KvRead {
public:
    WriteTxn(const Db& db, rocksdb::WriteBatchWithIndex& batch, std::atomic<BlobId>& next_blob, Time now)
        : db_(db), batch_(batch), next_blob_(next_blob), now_(now) {}

    Result<std::optional<std::string>> get(Cf cf, std::string_view key) override;
    Status scan(Cf cf, std::string_view from, std::string_view to, const ScanFn& fn) override;

    void put(Cf cf, std::string_view key, std::string_view value);
    void del(Cf cf, std::string_view key);

    BlobId new_blob_id() { return next_blob_.fetch_add(1); }
    Time now() const { return now_; }  // the group's clock, one read per group

    // Counters (keys.hpp): returns the current value and stores value + 1.
    // `initial` is used when the counter does not exist yet.
    Result<std::uint64_t> take_counter(std::string_view name, std::uint64_t initial);

    // The mailbox states this group saved, for the change feed (save_mailbox notes each).
    void note(MailboxState state) { notes_.push_back(std::move(state)); }
    std::vector<MailboxState>& notes() { return notes_; }

private:
    std::vector<MailboxState> notes_;
    const Db& db_;
    rocksdb::WriteBatchWithIndex& batch_;
    std::atomic<BlobId>& next_blob_;
    Time now_;
    rocksdb::ReadOptions opts_;
};

}  // namespace mxlab::store
