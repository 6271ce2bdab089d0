// The Store facade: open and close, argument checks on the caller's thread, reads, and writes through the group commit.
#include "mail/store/store.hpp"

#include <future>
#include <memory>

#include <rocksdb/snapshot.h>

#include "mail/store/blob_ops.hpp"
#include "mail/store/change_feed.hpp"
#include "mail/store/db.hpp"
#include "mail/store/group_commit.hpp"
#include "mail/store/keys.hpp"
#include "mail/store/mailbox_ops.hpp"
#include "mail/store/message_ops.hpp"
#include "mail/store/names.hpp"
#include "mail/store/queue_ops.hpp"
#include "mail/store/txn.hpp"
#include "mail/store/upgrade.hpp"

namespace mxlab::store {

namespace {

Error closed_error() { return make_error(Errc::closed, "the mail store is closed"); }

// Runs a Callback form and waits for its result: the synchronous API.
template <class T, class Start>
Result<T> wait_for(Start start) {
    std::promise<Result<T>> promise;
    auto future = promise.get_future();
    start(Callback<T>([&promise](Result<T> r) { promise.set_value(std::move(r)); }));
    return future.get();
}

struct UserBox {
    std::string user;
    std::string mailbox;
};

Result<UserBox> canonical(std::string_view user, std::string_view mailbox) {
    auto u = canonical_user(user);
    if (!u) return u.error();
    auto m = normalize_mailbox(mailbox);
    if (!m) return m.error();
    return UserBox{std::move(*u), std::move(*m)};
}

Result<Envelope> canonical(const Envelope& env) {
    Envelope out = env;
    for (auto& u : out.local_users) {
        auto c = canonical_user(u);
        if (!c) return c.error();
        u = std::move(*c);
    }
    return out;
}

// Blob ids resume after the largest one present (keys.hpp says why).
BlobId resume_blob_ids(const Db& db) {
    BlobId next = 1;
    for (Cf cf : {Cf::blob_meta, Cf::blob_data}) {
        std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator(rocksdb::ReadOptions(), db.cf(cf)));
        it->SeekToLast();
        if (it->Valid() && it->key().size() >= 8) next = std::max(next, keys::blob_id({it->key().data(), it->key().size()}) + 1);
    }
    return next;
}

}  // namespace

Store::Store(const StoreOptions& options) : path_(options.path) {
    db_ = std::make_unique<Db>(options);
    open_schema(*db_, options.on_event);
    next_blob_ = resume_blob_ids(*db_);
    feed_ = std::make_unique<ChangeFeed>();
    writer_ = std::make_unique<GroupCommit>(*db_, next_blob_, feed_.get());
}

Store::~Store() { close(); }

void Store::close() {
    if (writer_) writer_->stop();
    writer_.reset();
    db_.reset();
}

template <class T, class Fn>
void Store::submit(Fn fn, Callback<T> done, bool durable) {
    if (!writer_) return done(closed_error());
    writer_->submit(make_write<T>(std::move(fn), std::move(done), durable));
}

StoreStats Store::stats() const { return writer_ ? writer_->stats() : StoreStats{}; }

// ---- users and mailboxes ----

Status Store::ensure_user(std::string_view user) {
    auto u = canonical_user(user);
    if (!u) return u.error();
    if (!db_) return closed_error();
    // Every login calls this: the read spares the writer when nothing is missing.
    DbRead kv(*db_);
    auto ready = ops::user_provisioned(kv, *u);
    if (!ready) return ready.error();
    if (*ready) return {};
    return wait_for<void>([&](Callback<void> done) { ensure_user(*u, std::move(done)); });
}

void Store::ensure_user(std::string_view user, Callback<void> done) {
    auto u = canonical_user(user);
    if (!u) return done(u.error());
    submit<void>(
        [u = std::move(*u)](WriteTxn& t) -> Status {
            auto n = ops::provision_user(t, u, true);
            if (!n) return n.error();
            return {};
        },
        std::move(done));
}

Result<std::vector<MailboxInfo>> Store::mailboxes(std::string_view user) {
    auto u = canonical_user(user);
    if (!u) return u.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    DbRead kv(*db_, snap.snapshot());
    return ops::list_mailboxes(kv, *u);
}

Result<MailboxInfo> Store::mailbox(std::string_view user, std::string_view name) {
    auto c = canonical(user, name);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    DbRead kv(*db_, snap.snapshot());
    return ops::mailbox_info(kv, c->user, c->mailbox);
}

Status Store::create_mailbox(std::string_view user, std::string_view name) {
    return wait_for<void>([&](Callback<void> done) { create_mailbox(user, name, std::move(done)); });
}

void Store::create_mailbox(std::string_view user, std::string_view name, Callback<void> done) {
    // RFC 3501 6.3.3: a trailing separator only says the name will have children.
    if (name.size() > 1 && name.back() == hierarchy_separator) name.remove_suffix(1);
    auto c = canonical(user, name);
    if (!c) return done(c.error());
    submit<void>([c = std::move(*c)](WriteTxn& t) { return ops::create_mailbox(t, c.user, c.mailbox); }, std::move(done));
}

Status Store::rename_mailbox(std::string_view user, std::string_view from, std::string_view to) {
    return wait_for<void>([&](Callback<void> done) { rename_mailbox(user, from, to, std::move(done)); });
}

void Store::rename_mailbox(std::string_view user, std::string_view from, std::string_view to, Callback<void> done) {
    auto c = canonical(user, from);
    if (!c) return done(c.error());
    auto target = normalize_mailbox(to);
    if (!target) return done(target.error());
    submit<void>([c = std::move(*c), to = std::move(*target)](WriteTxn& t) { return ops::rename_mailbox(t, c.user, c.mailbox, to); },
                 std::move(done));
}

Status Store::delete_mailbox(std::string_view user, std::string_view name) {
    return wait_for<void>([&](Callback<void> done) { delete_mailbox(user, name, std::move(done)); });
}

void Store::delete_mailbox(std::string_view user, std::string_view name, Callback<void> done) {
    auto c = canonical(user, name);
    if (!c) return done(c.error());
    submit<void>([c = std::move(*c)](WriteTxn& t) { return ops::delete_mailbox(t, c.user, c.mailbox); }, std::move(done));
}

Status Store::subscribe(std::string_view user, std::string_view name) {
    return wait_for<void>([&](Callback<void> done) { subscribe(user, name, std::move(done)); });
}

void Store::subscribe(std::string_view user, std::string_view name, Callback<void> done) {
    auto c = canonical(user, name);
    if (!c) return done(c.error());
    submit<void>([c = std::move(*c)](WriteTxn& t) { return ops::set_subscribed(t, c.user, c.mailbox, true); }, std::move(done));
}

Status Store::unsubscribe(std::string_view user, std::string_view name) {
    return wait_for<void>([&](Callback<void> done) { unsubscribe(user, name, std::move(done)); });
}

void Store::unsubscribe(std::string_view user, std::string_view name, Callback<void> done) {
    auto c = canonical(user, name);
    if (!c) return done(c.error());
    submit<void>([c = std::move(*c)](WriteTxn& t) { return ops::set_subscribed(t, c.user, c.mailbox, false); }, std::move(done));
}

Result<std::vector<std::string>> Store::subscriptions(std::string_view user) {
    auto u = canonical_user(user);
    if (!u) return u.error();
    if (!db_) return closed_error();
    DbRead kv(*db_);
    return ops::list_subscriptions(kv, *u);
}

// ---- messages: reads ----

namespace {

// A ref as a caller built it, canonical; `id` and `uidvalidity` kept.
Result<MailboxRef> canonical(const MailboxRef& ref) {
    auto c = canonical(ref.user, ref.name);
    if (!c) return c.error();
    return MailboxRef{std::move(c->user), std::move(c->mailbox), ref.id, ref.uidvalidity};
}

MailboxRef by_name(std::string_view user, std::string_view mailbox) { return MailboxRef{std::string(user), std::string(mailbox)}; }

}  // namespace

Result<OpenedMailbox> Store::open_mailbox(std::string_view user, std::string_view name) {
    auto c = canonical(user, name);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    DbRead kv(*db_, snap.snapshot());
    auto info = ops::mailbox_info(kv, c->user, c->mailbox);
    if (!info) return info.error();
    MailboxRef ref{std::move(c->user), std::move(c->mailbox), info->id, info->uidvalidity};
    return OpenedMailbox{std::move(ref), std::move(*info)};
}

Result<MailboxInfo> Store::mailbox(const MailboxRef& ref) {
    auto c = canonical(ref);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    DbRead kv(*db_, snap.snapshot());
    if (auto box = ops::load_mailbox(kv, *c); !box) return box.error();
    return ops::mailbox_info(kv, c->user, c->name);
}

Result<std::vector<MessageInfo>> Store::messages(const MailboxRef& mailbox, const UidSet& uids) {
    auto c = canonical(mailbox);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());  // the record and the messages from one moment
    DbRead kv(*db_, snap.snapshot());
    auto box = ops::load_mailbox(kv, *c);
    if (!box) return box.error();
    return ops::list_messages(kv, box->rec.id, uids);
}

Result<Changes> Store::changes_since(const MailboxRef& mailbox, ModSeq since) {
    auto c = canonical(mailbox);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());  // the index, the records and the expunges from one moment
    DbRead kv(*db_, snap.snapshot());
    return ops::changes_since(kv, *c, since);
}

Result<std::vector<MessageInfo>> Store::messages(std::string_view user, std::string_view mailbox, const UidSet& uids) {
    return messages(by_name(user, mailbox), uids);
}

namespace {

// Message `uid` of the session's mailbox `c`, as of `snap`.
template <class Ref>
Result<MessageInfo> lookup_message(const Db& db, const Ref& c, Uid uid, const rocksdb::Snapshot* snap) {
    DbRead kv(db, snap);
    auto box = ops::load_mailbox(kv, c);
    if (!box) return box.error();
    return ops::find_message(kv, box->rec.id, uid);
}

}  // namespace

Result<MessageInfo> Store::message(const MailboxRef& mailbox, Uid uid) {
    auto c = canonical(mailbox);
    if (!c) return c.error();
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    return lookup_message(*db_, *c, uid, snap.snapshot());
}

Result<MessageInfo> Store::message(std::string_view user, std::string_view mailbox, Uid uid) {
    return message(by_name(user, mailbox), uid);
}

Result<MessageReader> Store::open_message(const MailboxRef& mailbox, Uid uid) {
    auto c = canonical(mailbox);
    if (!c) return c.error();
    if (!db_) return closed_error();
    // One snapshot for the lookups and the whole read: an expunge meanwhile
    // cannot make the reader find a half-deleted blob.
    const rocksdb::Snapshot* snap = db_->get()->GetSnapshot();
    auto m = lookup_message(*db_, *c, uid, snap);
    if (!m) {
        db_->get()->ReleaseSnapshot(snap);
        return m.error();
    }
    return store::open_blob(*db_, m->blob, snap);
}

Result<codec::MessageStructure> Store::structure(const MailboxRef& mailbox, Uid uid) {
    auto c = canonical(mailbox);
    if (!c) return c.error();
    if (!db_) return closed_error();
    // One snapshot for the lookups and the structure: an expunge meanwhile
    // cannot leave the message found but its structure gone.
    rocksdb::ManagedSnapshot snap(db_->get());
    auto m = lookup_message(*db_, *c, uid, snap.snapshot());
    if (!m) return m.error();
    return load_structure(*db_, m->blob, snap.snapshot());
}

Result<MessageReader> Store::open_message(std::string_view user, std::string_view mailbox, Uid uid) {
    return open_message(by_name(user, mailbox), uid);
}

Result<codec::MessageStructure> Store::structure(BlobId blob) {
    if (!db_) return closed_error();
    return load_structure(*db_, blob, nullptr);
}

Result<MessageReader> Store::open_blob(BlobId blob) {
    if (!db_) return closed_error();
    return store::open_blob(*db_, blob, nullptr);
}

Result<std::string> Store::read_message(const MailboxRef& mailbox, Uid uid) {
    auto reader = open_message(mailbox, uid);
    if (!reader) return reader.error();
    return reader->read(0, reader->size());
}

Result<std::string> Store::read_message(std::string_view user, std::string_view mailbox, Uid uid) {
    return read_message(by_name(user, mailbox), uid);
}

Result<std::uint64_t> Store::blob_refcount(BlobId id) {
    if (!db_) return closed_error();
    DbRead kv(*db_);
    auto h = load_blob_header(kv, id);
    if (!h && h.code() == Errc::not_found) return std::uint64_t{0};
    if (!h) return h.error();
    return h->refcount;
}

// ---- messages: writes ----

BlobWriter Store::stage_message() { return db_ ? BlobWriter(*db_, next_blob_) : BlobWriter(); }

Result<StagedBlob> Store::stage_message(std::string_view raw) {
    if (!db_) return closed_error();
    BlobWriter w = stage_message();
    if (auto s = w.append(raw); !s) return s.error();
    return w.finish();
}

Result<AppendResult> Store::append(std::string_view user, std::string_view mailbox, std::string_view raw, const Flags& flags,
                                   Time date, std::int16_t zone) {
    return wait_for<AppendResult>([&](Callback<AppendResult> done) { append(user, mailbox, raw, flags, date, zone, std::move(done)); });
}

void Store::append(std::string_view user, std::string_view mailbox, std::string_view raw, const Flags& flags, Time date,
                   std::int16_t zone, Callback<AppendResult> done) {
    if (raw.size() > chunk_size) {
        auto staged = stage_message(raw);
        if (!staged) return done(staged.error());
        return append(user, mailbox, std::move(*staged), flags, date, zone, std::move(done));
    }
    auto c = canonical(user, mailbox);
    if (!c) return done(c.error());
    if (auto k = check_keywords(flags); !k) return done(k.error());
    // Parsed here, on the caller's thread: the writer thread only copies it into the batch.
    submit<AppendResult>(
        [c = std::move(*c), raw, structure = codec::encode_structure(codec::parse_mime(raw)), flags, date, zone](WriteTxn& t) {
            return ops::append(t, c.user, c.mailbox, MessageSource{raw, nullptr, structure}, flags, date, zone);
        },
        std::move(done));
}

Result<AppendResult> Store::append(std::string_view user, std::string_view mailbox, StagedBlob staged, const Flags& flags, Time date,
                                   std::int16_t zone) {
    return wait_for<AppendResult>(
        [&](Callback<AppendResult> done) { append(user, mailbox, std::move(staged), flags, date, zone, std::move(done)); });
}

void Store::append(std::string_view user, std::string_view mailbox, StagedBlob staged, const Flags& flags, Time date,
                   std::int16_t zone, Callback<AppendResult> done) {
    auto c = canonical(user, mailbox);
    if (!c) return done(c.error());
    if (auto k = check_keywords(flags); !k) return done(k.error());
    auto blob = std::make_shared<StagedBlob>(std::move(staged));  // freed (chunks and all) unless the commit took it
    submit<AppendResult>(
        [c = std::move(*c), blob, flags, date, zone](WriteTxn& t) {
            return ops::append(t, c.user, c.mailbox, MessageSource{{}, blob.get()}, flags, date, zone);
        },
        [blob, done = std::move(done)](Result<AppendResult> r) {
            if (r) blob->release();
            done(std::move(r));
        });
}

Result<std::vector<FlagChange>> Store::store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags) {
    return wait_for<std::vector<FlagChange>>(
        [&](Callback<std::vector<FlagChange>> done) { store_flags(mailbox, uids, op, flags, std::move(done)); });
}

Result<std::vector<FlagChange>> Store::store_flags(std::string_view user, std::string_view mailbox, const UidSet& uids, FlagOp op,
                                                   const Flags& flags) {
    return store_flags(by_name(user, mailbox), uids, op, flags);
}

void Store::store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags,
                        Callback<std::vector<FlagChange>> done) {
    auto c = canonical(mailbox);
    if (!c) return done(c.error());
    if (auto k = check_keywords(flags); !k) return done(k.error());
    submit<std::vector<FlagChange>>(
        [c = std::move(*c), uids, op, flags](WriteTxn& t) -> Result<std::vector<FlagChange>> {
            auto r = ops::store_flags(t, c, uids, op, flags);
            if (!r) return r.error();
            return std::move(r->changes);
        },
        std::move(done), /*durable=*/false);  // group_commit.hpp: flag changes are not fsynced on their own
}

Result<FlagStoreResult> Store::store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags,
                                           ModSeq unchanged_since) {
    return wait_for<FlagStoreResult>(
        [&](Callback<FlagStoreResult> done) { store_flags(mailbox, uids, op, flags, unchanged_since, std::move(done)); });
}

void Store::store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags, ModSeq unchanged_since,
                        Callback<FlagStoreResult> done) {
    auto c = canonical(mailbox);
    if (!c) return done(c.error());
    if (auto k = check_keywords(flags); !k) return done(k.error());
    submit<FlagStoreResult>([c = std::move(*c), uids, op, flags, unchanged_since](
                                WriteTxn& t) { return ops::store_flags(t, c, uids, op, flags, unchanged_since); },
                            std::move(done), /*durable=*/false);
}

Result<CopyResult> Store::copy(const MailboxRef& from, const UidSet& uids, std::string_view to) {
    return wait_for<CopyResult>([&](Callback<CopyResult> done) { copy(from, uids, to, std::move(done)); });
}

Result<CopyResult> Store::copy(std::string_view user, std::string_view from, const UidSet& uids, std::string_view to) {
    return copy(by_name(user, from), uids, to);
}

void Store::copy(const MailboxRef& from, const UidSet& uids, std::string_view to, Callback<CopyResult> done) {
    auto c = canonical(from);
    if (!c) return done(c.error());
    auto target = normalize_mailbox(to);
    if (!target) return done(target.error());
    submit<CopyResult>(
        [c = std::move(*c), uids, to = std::move(*target)](WriteTxn& t) { return ops::copy_messages(t, c, uids, to, false); },
        std::move(done));
}

Result<CopyResult> Store::move(const MailboxRef& from, const UidSet& uids, std::string_view to) {
    return wait_for<CopyResult>([&](Callback<CopyResult> done) { move(from, uids, to, std::move(done)); });
}

Result<CopyResult> Store::move(std::string_view user, std::string_view from, const UidSet& uids, std::string_view to) {
    return move(by_name(user, from), uids, to);
}

void Store::move(const MailboxRef& from, const UidSet& uids, std::string_view to, Callback<CopyResult> done) {
    auto c = canonical(from);
    if (!c) return done(c.error());
    auto target = normalize_mailbox(to);
    if (!target) return done(target.error());
    submit<CopyResult>(
        [c = std::move(*c), uids, to = std::move(*target)](WriteTxn& t) { return ops::copy_messages(t, c, uids, to, true); },
        std::move(done));
}

Result<std::vector<Uid>> Store::expunge(const MailboxRef& mailbox, const UidSet& uids) {
    return wait_for<std::vector<Uid>>([&](Callback<std::vector<Uid>> done) { expunge(mailbox, uids, std::move(done)); });
}

Result<std::vector<Uid>> Store::expunge(std::string_view user, std::string_view mailbox, const UidSet& uids) {
    return expunge(by_name(user, mailbox), uids);
}

void Store::expunge(const MailboxRef& mailbox, const UidSet& uids, Callback<std::vector<Uid>> done) {
    auto c = canonical(mailbox);
    if (!c) return done(c.error());
    submit<std::vector<Uid>>([c = std::move(*c), uids](WriteTxn& t) { return ops::expunge(t, c, uids, true); }, std::move(done));
}

Result<std::vector<Uid>> Store::remove_messages(const MailboxRef& mailbox, const UidSet& uids) {
    return wait_for<std::vector<Uid>>([&](Callback<std::vector<Uid>> done) { remove_messages(mailbox, uids, std::move(done)); });
}

Result<std::vector<Uid>> Store::remove_messages(std::string_view user, std::string_view mailbox, const UidSet& uids) {
    return remove_messages(by_name(user, mailbox), uids);
}

void Store::remove_messages(const MailboxRef& mailbox, const UidSet& uids, Callback<std::vector<Uid>> done) {
    auto c = canonical(mailbox);
    if (!c) return done(c.error());
    submit<std::vector<Uid>>([c = std::move(*c), uids](WriteTxn& t) { return ops::expunge(t, c, uids, false); }, std::move(done));
}

// ---- delivery and queue ----

Result<DeliverResult> Store::deliver(const Envelope& env, std::string_view raw) {
    return wait_for<DeliverResult>([&](Callback<DeliverResult> done) { deliver(env, raw, std::move(done)); });
}

void Store::deliver(const Envelope& env, std::string_view raw, Callback<DeliverResult> done) {
    if (raw.size() > chunk_size) {
        auto staged = stage_message(raw);
        if (!staged) return done(staged.error());
        return deliver(env, std::move(*staged), std::move(done));
    }
    auto e = canonical(env);
    if (!e) return done(e.error());
    // Parsed here, on the caller's thread: the writer thread only copies it into the batch.
    submit<DeliverResult>(
        [e = std::move(*e), raw, structure = codec::encode_structure(codec::parse_mime(raw))](WriteTxn& t) {
            return ops::deliver(t, e, MessageSource{raw, nullptr, structure});
        },
        std::move(done));
}

Result<DeliverResult> Store::deliver(const Envelope& env, StagedBlob staged) {
    return wait_for<DeliverResult>([&](Callback<DeliverResult> done) { deliver(env, std::move(staged), std::move(done)); });
}

void Store::deliver(const Envelope& env, StagedBlob staged, Callback<DeliverResult> done) {
    auto e = canonical(env);
    if (!e) return done(e.error());
    auto blob = std::make_shared<StagedBlob>(std::move(staged));
    submit<DeliverResult>([e = std::move(*e), blob](WriteTxn& t) { return ops::deliver(t, e, MessageSource{{}, blob.get()}); },
                          [blob, done = std::move(done)](Result<DeliverResult> r) {
                              if (r) blob->release();
                              done(std::move(r));
                          });
}

Result<std::vector<QueueEntry>> Store::queue() {
    if (!db_) return closed_error();
    DbRead kv(*db_);
    return ops::list_queue(kv);
}

Result<QueueEntry> Store::queue_entry(QueueId id) {
    if (!db_) return closed_error();
    DbRead kv(*db_);
    return ops::load_queue(kv, id);
}

Result<std::vector<QueueEntry>> Store::queue_due(Time at, std::size_t limit) {
    if (!db_) return closed_error();
    rocksdb::ManagedSnapshot snap(db_->get());
    DbRead kv(*db_, snap.snapshot());
    return ops::due_queue(kv, at, limit);
}

Result<QueueEntry> Store::update_queue(QueueId id, const QueueUpdate& update) {
    return wait_for<QueueEntry>([&](Callback<QueueEntry> done) { update_queue(id, update, std::move(done)); });
}

void Store::update_queue(QueueId id, const QueueUpdate& update, Callback<QueueEntry> done) {
    submit<QueueEntry>([id, update](WriteTxn& t) { return ops::update_queue(t, id, update); }, std::move(done));
}

Status Store::remove_queue(QueueId id) {
    return wait_for<void>([&](Callback<void> done) { remove_queue(id, std::move(done)); });
}

void Store::remove_queue(QueueId id, Callback<void> done) {
    submit<void>([id](WriteTxn& t) { return ops::remove_queue(t, id); }, std::move(done));
}

}  // namespace mxlab::store
