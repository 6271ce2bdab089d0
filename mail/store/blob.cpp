// Chunked blobs: staging writes, snapshot-pinned streaming reads, and reference counting inside a write.
#include "mail/store/blob.hpp"

#include <algorithm>

#include <rocksdb/snapshot.h>
#include <rocksdb/write_batch.h>

#include "mail/codec/mime.hpp"
#include "mail/store/blob_ops.hpp"
#include "mail/store/db.hpp"
#include "mail/store/keys.hpp"

namespace mxlab::store {

namespace {

void delete_chunks(const Db& db, BlobId id, std::uint32_t chunks) {
    // Not synced: losing this delete in a crash only leaves garbage.
    rocksdb::WriteBatch batch;
    for (std::uint32_t i = 0; i < chunks; ++i) batch.Delete(db.cf(Cf::blob_data), keys::blob_chunk(id, i)).PermitUncheckedError();
    db.get()->Write(rocksdb::WriteOptions(), &batch).PermitUncheckedError();
}

}  // namespace

// ---- staging ----

StagedBlob& StagedBlob::operator=(StagedBlob&& o) noexcept {
    if (this != &o) {
        discard();
        db_ = std::exchange(o.db_, nullptr);
        id_ = o.id_;
        size_ = o.size_;
        chunks_ = o.chunks_;
        structure_ = std::move(o.structure_);
    }
    return *this;
}

void StagedBlob::discard() {
    if (db_) delete_chunks(*db_, id_, chunks_);
    db_ = nullptr;
}

BlobWriter::BlobWriter(const Db& db, std::atomic<BlobId>& next_blob)
    : db_(&db), id_(next_blob.fetch_add(1)), parser_(std::make_unique<codec::MimeParser>()) {}
BlobWriter::BlobWriter() : db_(nullptr), id_(0) {}
BlobWriter::BlobWriter(BlobWriter&& o) noexcept
    : db_(std::exchange(o.db_, nullptr)), id_(o.id_), size_(o.size_), chunks_(o.chunks_), buffer_(std::move(o.buffer_)),
      parser_(std::move(o.parser_)) {}

BlobWriter::~BlobWriter() {
    if (db_ && chunks_ > 0) delete_chunks(*db_, id_, chunks_);
}

Status BlobWriter::flush_chunk() {
    rocksdb::WriteOptions wo;  // unsynced: the commit's sync covers it
    auto s = db_->get()->Put(wo, db_->cf(Cf::blob_data), keys::blob_chunk(id_, chunks_), buffer_);
    if (!s.ok()) return db_error(s, "write message");
    ++chunks_;
    buffer_.clear();
    return {};
}

Status BlobWriter::append(std::string_view bytes) {
    if (!db_) return make_error(Errc::invalid, "message writer is finished or its store is closed");
    parser_->feed(bytes);
    while (!bytes.empty()) {
        std::size_t room = chunk_size - buffer_.size();
        std::size_t n = std::min(room, bytes.size());
        if (buffer_.capacity() < chunk_size) buffer_.reserve(chunk_size);
        buffer_.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        size_ += n;
        if (buffer_.size() == chunk_size) {
            if (auto s = flush_chunk(); !s) return s;
        }
    }
    return {};
}

Result<StagedBlob> BlobWriter::finish() {
    if (!db_) return make_error(Errc::invalid, "message writer is finished or its store is closed");
    if (!buffer_.empty()) {
        if (auto s = flush_chunk(); !s) return s.error();
    }
    StagedBlob staged(*db_, id_, size_, chunks_, codec::encode_structure(parser_->finish()));
    parser_.reset();
    db_ = nullptr;
    return staged;
}

// ---- inside a write ----

Result<BlobHeader> load_blob_header(KvRead& kv, BlobId id) {
    auto v = kv.get(Cf::blob_meta, keys::blob(id));
    if (!v) return v.error();
    if (!*v) return make_error(Errc::not_found, "message body " + std::to_string(id) + " is missing");
    auto h = decode_blob_header(**v);
    if (!h) return make_error(Errc::corrupt, "message body header " + std::to_string(id) + " does not decode");
    return *h;
}

Result<BlobId> store_blob(WriteTxn& txn, const MessageSource& source, std::uint64_t refs) {
    BlobHeader h;
    h.size = source.size();
    h.chunk_size = chunk_size;
    h.refcount = refs;
    BlobId id;
    if (source.staged) {
        id = source.staged->id();
        h.chunks = source.staged->chunks();
        auto existing = txn.get(Cf::blob_meta, keys::blob(id));
        if (!existing) return existing.error();
        if (*existing) return make_error(Errc::invalid, "this staged message was already stored");
    } else {
        if (source.raw.size() > chunk_size) return make_error(Errc::invalid, "message too large to store without staging");
        id = txn.new_blob_id();
        h.chunks = source.raw.empty() ? 0 : 1;
        if (h.chunks) txn.put(Cf::blob_data, keys::blob_chunk(id, 0), source.raw);
    }
    txn.put(Cf::blob_meta, keys::blob(id), encode(h));
    const std::string_view structure = source.staged ? std::string_view(source.staged->structure()) : source.structure;
    if (!structure.empty()) txn.put(Cf::structures, keys::blob(id), structure);
    return id;
}

Status add_blob_refs(WriteTxn& txn, BlobId id, std::uint64_t n) {
    if (n == 0) return {};
    auto h = load_blob_header(txn, id);
    if (!h) return h.error();
    h->refcount += n;
    txn.put(Cf::blob_meta, keys::blob(id), encode(*h));
    return {};
}

Status drop_blob_refs(WriteTxn& txn, BlobId id, std::uint64_t n) {
    if (n == 0) return {};
    auto h = load_blob_header(txn, id);
    if (!h) return h.error();
    if (h->refcount > n) {
        h->refcount -= n;
        txn.put(Cf::blob_meta, keys::blob(id), encode(*h));
        return {};
    }
    txn.del(Cf::blob_meta, keys::blob(id));
    txn.del(Cf::structures, keys::blob(id));
    for (std::uint32_t i = 0; i < h->chunks; ++i) txn.del(Cf::blob_data, keys::blob_chunk(id, i));
    return {};
}

// ---- streaming reads ----

struct MessageReader::Impl {
    Impl(const Db& d, BlobId i, const rocksdb::Snapshot* snap) : db(d), id(i), snapshot(d.get(), snap) {}
    const Db& db;
    BlobId id;
    rocksdb::ManagedSnapshot snapshot;
    BlobHeader header;
    std::uint64_t pos = 0;
    std::uint64_t chunks_read = 0;
    rocksdb::PinnableSlice pinned;
};

MessageReader::MessageReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MessageReader::MessageReader(MessageReader&&) noexcept = default;
MessageReader& MessageReader::operator=(MessageReader&&) noexcept = default;
MessageReader::~MessageReader() = default;

std::uint64_t MessageReader::size() const { return impl_->header.size; }
std::uint64_t MessageReader::position() const { return impl_->pos; }
std::uint64_t MessageReader::chunks_read() const { return impl_->chunks_read; }
void MessageReader::seek(std::uint64_t offset) { impl_->pos = std::min(offset, impl_->header.size); }

Result<std::string_view> MessageReader::next() {
    Impl& m = *impl_;
    if (m.pos >= m.header.size) return std::string_view();
    auto chunk = static_cast<std::uint32_t>(m.pos / m.header.chunk_size);
    auto offset = static_cast<std::size_t>(m.pos % m.header.chunk_size);
    std::uint64_t expect = std::min<std::uint64_t>(m.header.chunk_size, m.header.size - std::uint64_t(chunk) * m.header.chunk_size);
    rocksdb::ReadOptions ro;
    ro.snapshot = m.snapshot.snapshot();
    ro.fill_cache = false;  // one pass over a big message should not evict the hot metadata
    m.pinned.Reset();
    auto s = m.db.get()->Get(ro, m.db.cf(Cf::blob_data), keys::blob_chunk(m.id, chunk), &m.pinned);
    ++m.chunks_read;
    if (s.IsNotFound() || (s.ok() && m.pinned.size() != expect))
        return make_error(Errc::corrupt, "message body " + std::to_string(m.id) + " chunk " + std::to_string(chunk) + " is missing or short");
    if (!s.ok()) return db_error(s, "read message");
    std::string_view v(m.pinned.data() + offset, m.pinned.size() - offset);
    m.pos += v.size();
    return v;
}

Result<std::string> MessageReader::read(std::uint64_t offset, std::uint64_t length) {
    seek(offset);
    std::string out;
    length = std::min(length, size() - position());
    out.reserve(length);
    while (out.size() < length) {
        auto piece = next();
        if (!piece) return piece.error();
        if (piece->empty()) break;
        out.append(piece->substr(0, length - out.size()));
    }
    return out;
}

Result<std::string> parse_blob(MessageReader& reader) {
    codec::MimeParser parser;
    for (;;) {
        auto piece = reader.next();
        if (!piece) return piece.error();
        if (piece->empty()) break;
        parser.feed(*piece);
    }
    return codec::encode_structure(parser.finish());
}

Result<codec::MessageStructure> load_structure(const Db& db, BlobId id, const rocksdb::Snapshot* snapshot) {
    DbRead kv(db, snapshot);
    auto h = load_blob_header(kv, id);
    if (!h) return h.error();
    auto stored = kv.get(Cf::structures, keys::blob(id));
    if (!stored) return stored.error();
    if (*stored) {
        if (auto s = codec::decode_structure(**stored, h->size)) return std::move(*s);
    }
    auto reader = open_blob(db, id, nullptr);  // its own snapshot: open_blob owns the one it gets
    if (!reader) return reader.error();
    auto parsed = parse_blob(*reader);
    if (!parsed) return parsed.error();
    if (auto s = codec::decode_structure(*parsed, h->size)) return std::move(*s);
    return make_error(Errc::corrupt, "the structure of message body " + std::to_string(id) + " does not decode");
}

Result<MessageReader> open_blob(const Db& db, BlobId id, const rocksdb::Snapshot* snapshot) {
    if (!snapshot) snapshot = db.get()->GetSnapshot();
    auto impl = std::make_unique<MessageReader::Impl>(db, id, snapshot);  // owns the snapshot from here
    DbRead kv(db, snapshot);
    auto h = load_blob_header(kv, id);
    if (!h) return h.error();
    if (h->chunks != (h->size + h->chunk_size - 1) / std::max<std::uint32_t>(h->chunk_size, 1))
        return make_error(Errc::corrupt, "message body header " + std::to_string(id) + " is inconsistent");
    impl->header = *h;
    return MessageReader(std::move(impl));
}

}  // namespace mxlab::store
