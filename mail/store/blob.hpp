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
// The MIME structure (keys.hpp structures) is parsed as the bytes pass: by
// BlobWriter chunk by chunk (codec::MimeParser, never the whole message at
// once), by the caller of a small message's commit before it is submitted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mail/codec/mime.hpp"
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
    StagedBlob(const Db& db, BlobId id, std::uint64_t size, std::uint32_t chunks, std::string structure)
        : db_(&db), id_(id), size_(size), chunks_(chunks), structure_(std::move(structure)) {}
    StagedBlob(StagedBlob&& o) noexcept { *this = std::move(o); }
    StagedBlob& operator=(StagedBlob&& o) noexcept;
    ~StagedBlob() { discard(); }

    BlobId id() const { return id_; }
    std::uint64_t size() const { return size_; }
    std::uint32_t chunks() const { return chunks_; }
    // codec::encode_structure of the message, parsed while it was written.
    const std::string& structure() const { return structure_; }
    bool valid() const { return db_ != nullptr; }
    void release() { db_ = nullptr; }  // a commit now references the chunks

private:
    void discard();
    const Db* db_ = nullptr;
    BlobId id_ = 0;
    std::uint64_t size_ = 0;
    std::uint32_t chunks_ = 0;
    std::string structure_;
};

// Writes a message as it arrives (SMTP DATA, an IMAP APPEND literal) without
// holding it whole: every full chunk goes to RocksDB at once. One thread at a time.
class BlobWriter {
public:
    BlobWriter(const Db& db, std::atomic<BlobId>& next_blob);
    BlobWriter();  // a closed store's: every call fails
    BlobWriter(BlobWriter&& o) noexcept;
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
    std::unique_ptr<codec::MimeParser> parser_;  // fed every byte appended
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
    // Chunks fetched from RocksDB so far: a read of a range fetches only
    // the chunks it covers (the tests count them).
    std::uint64_t chunks_read() const;

    struct Impl;
    explicit MessageReader(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

// Opens blob `id` for reading; takes ownership of `snapshot` (may be null: one is taken).
Result<MessageReader> open_blob(const Db& db, BlobId id, const rocksdb::Snapshot* snapshot);

// The encoded structure of the message `reader` reads, parsed a chunk at a
// time from its position (the schema 3 upgrade, and a structure missing).
Result<std::string> parse_blob(MessageReader& reader);

// The structure kept beside blob `id` as of `snapshot` (null: now). One that
// is missing or does not decode is parsed again from the body (not stored):
// an answer either way, at the cost of a read of the message.
Result<codec::MessageStructure> load_structure(const Db& db, BlobId id, const rocksdb::Snapshot* snapshot);

}  // namespace mxlab::store
