// Raw messages as chunked, reference-counted blobs: staging a large message before its commit, and streaming one out.
//
// A message up to one chunk (keys.hpp chunk_size) goes into the commit's
// batch directly. A larger one is staged: its chunks are written (not synced)
// before the commit, by the caller's thread, so the writer thread never copies
// megabytes; the commit writes the blob header, and its WAL sync also makes
// the earlier chunk writes durable (RocksDB syncs every WAL file with unsynced
// data on a synced write). Staged chunks that never get a header (the session
// dropped, the commit failed) are deleted by RAII; after a crash they stay as
// unreferenced garbage (see the store's README notes).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace rocksdb {
class Snapshot;
}

namespace mxlab::store {

class Db;

// Chunks written for a blob that has no header yet. Move-only; deletes its
// chunks on destruction unless a commit took it (release()). Must not outlive
// the Store it came from.
class StagedBlob {
public:
    StagedBlob() = default;
    StagedBlob(const Db& db, BlobId id, std::uint64_t size, std::uint32_t chunks)
        : db_(&db), id_(id), size_(size), chunks_(chunks) {}
    StagedBlob(StagedBlob&& o) noexcept { *this = std::move(o); }
    StagedBlob& operator=(StagedBlob&& o) noexcept;
    ~StagedBlob() { discard(); }

    BlobId id() const { return id_; }
    std::uint64_t size() const { return size_; }
    std::uint32_t chunks() const { return chunks_; }
    bool valid() const { return db_ != nullptr; }
    void release() { db_ = nullptr; }  // a commit now references the chunks

private:
    void discard();
    const Db* db_ = nullptr;
    BlobId id_ = 0;
    std::uint64_t size_ = 0;
    std::uint32_t chunks_ = 0;
};

// Writes a message as it arrives (SMTP DATA, an IMAP APPEND literal) without
// holding it whole: every full chunk goes to RocksDB at once. One thread at a time.
class BlobWriter {
public:
    BlobWriter(const Db& db, std::atomic<BlobId>& next_blob) : db_(&db), id_(next_blob.fetch_add(1)) {}
    BlobWriter() : db_(nullptr), id_(0) {}  // a closed store's: every call fails
    BlobWriter(BlobWriter&& o) noexcept
        : db_(std::exchange(o.db_, nullptr)), id_(o.id_), size_(o.size_), chunks_(o.chunks_), buffer_(std::move(o.buffer_)) {}
    BlobWriter& operator=(BlobWriter&&) = delete;
    ~BlobWriter();

    Status append(std::string_view bytes);
    // Writes the last chunk and hands the chunks over; the writer is empty afterwards.
    Result<StagedBlob> finish();
    std::uint64_t size() const { return size_; }

private:
    Status flush_chunk();
    const Db* db_;
    BlobId id_;
    std::uint64_t size_ = 0;
    std::uint32_t chunks_ = 0;
    std::string buffer_;
};

// Reads one message from a consistent snapshot, a chunk at a time: a 50 MB
// message never needs more than one chunk in memory here, and a concurrent
// expunge cannot cut the read short. Move-only; releases the snapshot on
// destruction. Must not outlive the Store.
class MessageReader {
public:
    MessageReader(MessageReader&&) noexcept;
    MessageReader& operator=(MessageReader&&) noexcept;
    ~MessageReader();

    std::uint64_t size() const;
    std::uint64_t position() const;
    void seek(std::uint64_t offset);  // clamped to size()
    // The next bytes from position(): valid until the next call or the
    // reader's end; empty at the end of the message.
    Result<std::string_view> next();
    // Up to `length` bytes from `offset` (IMAP BODY[]<offset.length>).
    Result<std::string> read(std::uint64_t offset, std::uint64_t length);

    struct Impl;
    explicit MessageReader(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

// Opens blob `id` for reading; takes ownership of `snapshot` (may be null: one is taken).
Result<MessageReader> open_blob(const Db& db, BlobId id, const rocksdb::Snapshot* snapshot);

}  // namespace mxlab::store
