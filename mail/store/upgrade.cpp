// The schema check at open and the upgrade from schema 1 to 2 (see upgrade.hpp).
#include "mail/store/upgrade.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <set>

#include <rocksdb/write_batch.h>

#include "mail/store/blob.hpp"
#include "mail/store/db.hpp"
#include "mail/store/keys.hpp"
#include "mail/store/records.hpp"

namespace mxlab::store {

namespace {

[[noreturn]] void fail(const Db& db, const std::string& what, const rocksdb::Status& s) {
    throw StoreOpenError(what + " the mail store at " + db.path().string() + ": " + s.ToString() + "; " + open_hint(s, db.path()));
}

void put_schema(const Db& db, int version) {
    rocksdb::WriteOptions wo;
    wo.sync = true;  // also makes every unsynced batch of an upgrade before it durable
    auto s = db.get()->Put(wo, db.cf(Cf::default_cf), std::string(schema_key), std::to_string(version));
    if (!s.ok()) fail(db, "cannot write the layout version of", s);
}

struct Upgraded {
    std::uint64_t mailboxes = 0, messages = 0;
};

// One mailbox: its modseqs keys and its record as version 2, in one batch.
void upgrade_mailbox(const Db& db, const std::string& key, MailboxRecord rec, Upgraded& n) {
    rocksdb::WriteBatch batch;
    std::set<std::string> keywords;
    const std::string prefix = keys::mailbox_messages(rec.id);
    std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator(rocksdb::ReadOptions(), db.cf(Cf::messages)));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
        std::string_view k(it->key().data(), it->key().size());
        auto m = decode_message(std::string_view(it->value().data(), it->value().size()), keys::message_uid(k));
        if (!m) throw StoreOpenError("cannot upgrade the mail store at " + db.path().string() +
                                     ": a message record does not decode; restore data_dir from a backup");
        auto s = batch.Put(db.cf(Cf::modseqs), keys::modseq(rec.id, m->modseq, m->uid), {});
        if (!s.ok()) fail(db, "cannot upgrade", s);
        keywords.insert(m->flags.keywords.begin(), m->flags.keywords.end());
        rec.highest_modseq = std::max(rec.highest_modseq, m->modseq);
        ++n.messages;
    }
    if (!it->status().ok()) fail(db, "cannot read", it->status());
    rec.highest_modseq = std::max<ModSeq>(rec.highest_modseq, 1);
    rec.vanished_floor = rec.highest_modseq;  // schema 1 recorded no expunges
    rec.expunged = 0;
    auto s = keywords.empty() ? rocksdb::Status::OK()
                              : batch.Put(db.cf(Cf::keywords), keys::mailbox_messages(rec.id),
                                          encode_keywords(std::vector<std::string>(keywords.begin(), keywords.end())));
    if (s.ok()) s = batch.Put(db.cf(Cf::mailboxes), key, encode(rec));
    if (s.ok()) s = db.get()->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) fail(db, "cannot upgrade", s);
    ++n.mailboxes;
}

void upgrade_1_to_2(const Db& db, const StoreEventHook& hook) {
    const auto start = std::chrono::steady_clock::now();
    Upgraded n;
    // Keys first: the batches below write into the family being walked.
    std::vector<std::pair<std::string, MailboxRecord>> boxes;
    std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator(rocksdb::ReadOptions(), db.cf(Cf::mailboxes)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto r = decode_mailbox(std::string_view(it->value().data(), it->value().size()));
        if (!r) throw StoreOpenError("cannot upgrade the mail store at " + db.path().string() +
                                     ": a mailbox record does not decode; restore data_dir from a backup");
        if (r->version < 2) boxes.emplace_back(it->key().ToString(), std::move(*r));  // 2: done before a crash cut the upgrade short
    }
    if (!it->status().ok()) fail(db, "cannot read", it->status());
    it.reset();
    for (auto& [key, rec] : boxes) upgrade_mailbox(db, key, std::move(rec), n);
    put_schema(db, 2);
    if (hook) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        StoreEvent e{StoreEvent::Kind::upgraded, "schema 1 -> 2: " + std::to_string(n.mailboxes) + " mailboxes, " +
                                                     std::to_string(n.messages) + " messages indexed by MODSEQ in " +
                                                     std::to_string(ms) + " ms"};
        hook(e);
    }
}

// Every blob without a structure gets one, parsed from its chunks.
void upgrade_2_to_3(const Db& db, const StoreEventHook& hook) {
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t parsed = 0, bytes = 0;
    // Ids first: the batches below write while blob_meta is walked no more.
    std::vector<BlobId> ids;
    std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator(rocksdb::ReadOptions(), db.cf(Cf::blob_meta)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ids.push_back(keys::blob_id(it->key().ToStringView()));
    if (!it->status().ok()) fail(db, "cannot read", it->status());
    it.reset();
    rocksdb::WriteBatch batch;
    auto flush = [&] {
        if (batch.Count() == 0) return;
        auto s = db.get()->Write(rocksdb::WriteOptions(), &batch);
        if (!s.ok()) fail(db, "cannot upgrade", s);
        batch.Clear();
    };
    for (const BlobId id : ids) {
        std::string existing;
        auto s = db.get()->Get(rocksdb::ReadOptions(), db.cf(Cf::structures), keys::blob(id), &existing);
        if (s.ok()) continue;  // done before a crash cut the upgrade short
        if (!s.IsNotFound()) fail(db, "cannot read", s);
        auto reader = open_blob(db, id, nullptr);
        auto structure = reader ? parse_blob(*reader) : Result<std::string>(reader.error());
        if (!structure)
            throw StoreOpenError("cannot upgrade the mail store at " + db.path().string() + ": message body " + std::to_string(id) +
                                 " cannot be read (" + structure.error().message + "); restore data_dir from a backup");
        bytes += reader->size();
        s = batch.Put(db.cf(Cf::structures), keys::blob(id), *structure);
        if (!s.ok()) fail(db, "cannot upgrade", s);
        ++parsed;
        if (batch.Count() >= 256) flush();
    }
    flush();
    put_schema(db, 3);
    if (hook) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        StoreEvent e{StoreEvent::Kind::upgraded, "schema 2 -> 3: " + std::to_string(parsed) + " messages (" + std::to_string(bytes) +
                                                     " bytes) parsed for their MIME structure in " + std::to_string(ms) + " ms"};
        hook(e);
    }
}

}  // namespace

void open_schema(const Db& db, const StoreEventHook& hook) {
    std::string text;
    auto s = db.get()->Get(rocksdb::ReadOptions(), db.cf(Cf::default_cf), std::string(schema_key), &text);
    if (s.IsNotFound()) return put_schema(db, schema_version);  // a new store
    if (!s.ok()) fail(db, "cannot read", s);
    int version = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (ec != std::errc() || end != text.data() + text.size() || version < 1)
        throw StoreOpenError("the mail store at " + db.path().string() + " has an unreadable layout version \"" + text +
                             "\"; restore data_dir from a backup, or move the directory aside to start with an empty store");
    if (version > schema_version)
        throw StoreOpenError("the mail store at " + db.path().string() + " was written by a newer mxlab (layout version " + text +
                             "; this mxlab reads up to " + std::to_string(schema_version) +
                             "): run that mxlab or a newer one, or move the directory aside to start with an empty store");
    if (version == 1) upgrade_1_to_2(db, hook);
    if (version <= 2) upgrade_2_to_3(db, hook);
}

}  // namespace mxlab::store
