// The mail store: users' mailboxes, messages, flags, UIDs, shared raw messages and the outbound queue, in RocksDB under data_dir.
//
// One Store per process (appliance/ opens it and passes it in; no globals).
// Layout: keys.hpp. Writes: group_commit.hpp (one writer thread, one WAL sync
// per group, acknowledged only after the sync). Blobs: blob.hpp. Network code
// uses AsyncStore (async_store.hpp) so that no blocking call runs on an Asio
// thread; tests and tools call this synchronous API directly.
//
// Every write has two forms: a synchronous one returning Result<T>, and one
// taking a Callback<T> that runs on the writer thread after the sync (it must
// be quick, and must not call a synchronous write: that would deadlock). Reads
// are synchronous and thread-safe; they see only synced data.
//
// Users are canonical addresses (any case accepted, stored lower case);
// mailbox names follow names.hpp. A user's INBOX, Sent, Drafts, Trash and Junk
// are created by the first write that concerns the user (a delivery, say);
// IMAP and POP3 call ensure_user() at login, which also recreates any of them
// the user deleted, and which read operations on a new user need first.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/blob.hpp"
#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace rocksdb {
class Env;
}

namespace mxlab::store {

class ChangeFeed;
class Db;
class GroupCommit;

struct StoreOptions {
    std::filesystem::path path;             // the database directory, e.g. data_dir / "store"
    std::size_t cache_bytes = 32u << 20;    // RocksDB block cache
    StoreEventHook on_event;                // may be empty; must be quick and thread-safe
    // Once RocksDB stops taking writes (a full disk), DB::Resume is tried
    // after resume_first, then at doubling intervals up to resume_max, for as
    // long as the error lasts (recovery.hpp).
    std::chrono::milliseconds resume_first{1000};
    std::chrono::milliseconds resume_max{10000};
    rocksdb::Env* env = nullptr;  // null: the default; tests pass one that fails writes on demand
};

template <class T>
using Callback = std::function<void(Result<T>)>;

class Store {
public:
    // Opens or creates the store. Throws StoreOpenError (db.hpp; a
    // std::runtime_error) with what failed and what to do about it.
    explicit Store(const StoreOptions& options);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Commits the writes already queued, stops the writer and closes RocksDB.
    // Afterwards every call fails with Errc::closed. Call once the network
    // side has stopped; readers and staged blobs must be gone by then.
    void close();

    // ---- users and mailboxes ----
    Status ensure_user(std::string_view user);
    void ensure_user(std::string_view user, Callback<void> done);
    Result<std::vector<MailboxInfo>> mailboxes(std::string_view user);  // by name, bytewise
    Result<MailboxInfo> mailbox(std::string_view user, std::string_view name);
    Status create_mailbox(std::string_view user, std::string_view name);
    void create_mailbox(std::string_view user, std::string_view name, Callback<void> done);
    Status rename_mailbox(std::string_view user, std::string_view from, std::string_view to);
    void rename_mailbox(std::string_view user, std::string_view from, std::string_view to, Callback<void> done);
    Status delete_mailbox(std::string_view user, std::string_view name);  // INBOX: Errc::invalid
    void delete_mailbox(std::string_view user, std::string_view name, Callback<void> done);
    Status subscribe(std::string_view user, std::string_view name);
    void subscribe(std::string_view user, std::string_view name, Callback<void> done);
    Status unsubscribe(std::string_view user, std::string_view name);
    void unsubscribe(std::string_view user, std::string_view name, Callback<void> done);
    Result<std::vector<std::string>> subscriptions(std::string_view user);

    // A session opens a mailbox once (IMAP SELECT, POP3 login) and passes the
    // MailboxRef to every later call, which then answers Errc::gone if the
    // mailbox was deleted or renamed away meanwhile (types.hpp, MailboxRef).
    Result<OpenedMailbox> open_mailbox(std::string_view user, std::string_view name);
    Result<MailboxInfo> mailbox(const MailboxRef& ref);

    // ---- messages ----
    // Each call that names a mailbox by user and name resolves the name at
    // the call; the MailboxRef forms are for sessions (see open_mailbox).
    Result<std::vector<MessageInfo>> messages(const MailboxRef& mailbox, const UidSet& uids = all_uids());
    Result<MessageInfo> message(const MailboxRef& mailbox, Uid uid);
    Result<MessageReader> open_message(const MailboxRef& mailbox, Uid uid);
    Result<std::string> read_message(const MailboxRef& mailbox, Uid uid);
    // The message's MIME structure, parsed when it was stored (IMAP
    // BODYSTRUCTURE, ENVELOPE; BODY[section] is a byte range of it, read
    // with open_message and MessageReader::read: only the chunks it covers).
    Result<codec::MessageStructure> structure(const MailboxRef& mailbox, Uid uid);
    // The same by the blob a MessageInfo just listed names (FETCH and SEARCH
    // of many messages: no mailbox or message lookup per message, no
    // snapshot); Errc::not_found once the blob is gone (expunged meanwhile).
    Result<codec::MessageStructure> structure(BlobId blob);
    // RFC 7162: the messages whose MODSEQ is above `since` and the UIDs
    // expunged after it, from two range scans (keys.hpp); Changes::too_old
    // when the expunges that far back are no longer kept.
    Result<Changes> changes_since(const MailboxRef& mailbox, ModSeq since);
    Result<std::vector<MessageInfo>> messages(std::string_view user, std::string_view mailbox, const UidSet& uids = all_uids());
    Result<MessageInfo> message(std::string_view user, std::string_view mailbox, Uid uid);
    Result<std::string> read_message(std::string_view user, std::string_view mailbox, Uid uid);
    // A chunk-at-a-time reader over a snapshot (POP3 RETR, IMAP BODY[] of a big message).
    Result<MessageReader> open_message(std::string_view user, std::string_view mailbox, Uid uid);
    Result<MessageReader> open_blob(BlobId blob);  // e.g. a queue entry's message

    // IMAP APPEND. `raw` must stay valid until the write completes; a message
    // larger than one chunk is staged on the calling thread first.
    Result<AppendResult> append(std::string_view user, std::string_view mailbox, std::string_view raw, const Flags& flags = {},
                                Time date = {}, std::int16_t zone_minutes = 0);
    void append(std::string_view user, std::string_view mailbox, std::string_view raw, const Flags& flags, Time date,
                std::int16_t zone_minutes, Callback<AppendResult> done);
    Result<AppendResult> append(std::string_view user, std::string_view mailbox, StagedBlob staged, const Flags& flags = {},
                                Time date = {}, std::int16_t zone_minutes = 0);
    void append(std::string_view user, std::string_view mailbox, StagedBlob staged, const Flags& flags, Time date,
                std::int16_t zone_minutes, Callback<AppendResult> done);

    // IMAP STORE; returns every message of `uids` that exists, changed or not.
    Result<std::vector<FlagChange>> store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags);
    void store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags, Callback<std::vector<FlagChange>> done);
    Result<std::vector<FlagChange>> store_flags(std::string_view user, std::string_view mailbox, const UidSet& uids, FlagOp op,
                                                const Flags& flags);
    // STORE (UNCHANGEDSINCE m) (RFC 7162 3.1.3): messages whose MODSEQ is above m stay as they are and come back in `modified`.
    Result<FlagStoreResult> store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags,
                                        ModSeq unchanged_since);
    void store_flags(const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags, ModSeq unchanged_since,
                     Callback<FlagStoreResult> done);
    // COPY and MOVE from the mailbox `from` to the mailbox named `to` (of the same user).
    Result<CopyResult> copy(const MailboxRef& from, const UidSet& uids, std::string_view to);
    void copy(const MailboxRef& from, const UidSet& uids, std::string_view to, Callback<CopyResult> done);
    Result<CopyResult> copy(std::string_view user, std::string_view from, const UidSet& uids, std::string_view to);
    Result<CopyResult> move(const MailboxRef& from, const UidSet& uids, std::string_view to);
    void move(const MailboxRef& from, const UidSet& uids, std::string_view to, Callback<CopyResult> done);
    Result<CopyResult> move(std::string_view user, std::string_view from, const UidSet& uids, std::string_view to);
    // IMAP EXPUNGE (and UID EXPUNGE with a set): removes the \Deleted ones; returns their UIDs.
    Result<std::vector<Uid>> expunge(const MailboxRef& mailbox, const UidSet& uids = all_uids());
    void expunge(const MailboxRef& mailbox, const UidSet& uids, Callback<std::vector<Uid>> done);
    Result<std::vector<Uid>> expunge(std::string_view user, std::string_view mailbox, const UidSet& uids = all_uids());
    // POP3's UPDATE state: removes exactly `uids`, flags or not.
    Result<std::vector<Uid>> remove_messages(const MailboxRef& mailbox, const UidSet& uids);
    void remove_messages(const MailboxRef& mailbox, const UidSet& uids, Callback<std::vector<Uid>> done);
    Result<std::vector<Uid>> remove_messages(std::string_view user, std::string_view mailbox, const UidSet& uids);

    // ---- delivery and the outbound queue ----
    // A writer for a message that arrives in pieces (SMTP DATA); finish() it
    // and pass the StagedBlob to deliver() or append().
    BlobWriter stage_message();
    Result<StagedBlob> stage_message(std::string_view raw);
    // One durable write: a copy in each local user's INBOX, a queue entry for
    // the remote recipients, the removal of env.completes. `raw` must stay
    // valid until the write completes.
    Result<DeliverResult> deliver(const Envelope& env, std::string_view raw);
    void deliver(const Envelope& env, std::string_view raw, Callback<DeliverResult> done);
    Result<DeliverResult> deliver(const Envelope& env, StagedBlob staged);
    void deliver(const Envelope& env, StagedBlob staged, Callback<DeliverResult> done);

    Result<std::vector<QueueEntry>> queue();  // by id (arrival order)
    Result<QueueEntry> queue_entry(QueueId id);
    Result<std::vector<QueueEntry>> queue_due(Time at, std::size_t limit = 1000);  // next try <= at, soonest first
    // Returns the entry as updated; when all its recipients are delivered it is
    // also gone, with its body reference (see QueueUpdate::remove_when_delivered).
    Result<QueueEntry> update_queue(QueueId id, const QueueUpdate& update);
    void update_queue(QueueId id, const QueueUpdate& update, Callback<QueueEntry> done);
    Status remove_queue(QueueId id);  // and its blob reference, in one write
    void remove_queue(QueueId id, Callback<void> done);

    // ---- the change feed (change_feed.hpp; sessions use subscription.hpp) ----
    ChangeFeed& feed() { return *feed_; }

    // ---- introspection ----
    StoreStats stats() const;
    const std::filesystem::path& path() const { return path_; }
    // Whether blob `id` exists, and its reference count (0 when it does not).
    Result<std::uint64_t> blob_refcount(BlobId id);

private:
    // The core of every Callback form: runs `fn(WriteTxn&) -> Result<T>` in
    // the writer's next group and calls `done` after the group's sync.
    // `durable` false: flag changes, which do not need the group synced (group_commit.hpp).
    template <class T, class Fn>
    void submit(Fn fn, Callback<T> done, bool durable = true);

    std::filesystem::path path_;
    std::unique_ptr<Db> db_;
    std::atomic<BlobId> next_blob_{1};
    std::unique_ptr<ChangeFeed> feed_;  // before writer_, which publishes to it
    std::unique_ptr<GroupCommit> writer_;
};

}  // namespace mxlab::store
