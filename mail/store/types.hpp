// The store's public value types: mailboxes, messages, flags, UID sets, deliveries and queue entries.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mxlab::store {

using Uid = std::uint32_t;
using ModSeq = std::uint64_t;
using BlobId = std::uint64_t;
using QueueId = std::uint64_t;
using MailboxId = std::uint64_t;
using Time = std::chrono::sys_seconds;  // stored as Unix seconds

inline constexpr char hierarchy_separator = '/';
inline constexpr Uid max_uid = std::numeric_limits<Uid>::max();

// IMAP system flags (RFC 3501 section 2.3.2), as bits. \Recent is not kept:
// the store is "recent-free" (as IMAP4rev2, RFC 9051, allows).
enum SystemFlag : std::uint8_t {
    flag_seen = 1,
    flag_answered = 2,
    flag_flagged = 4,
    flag_deleted = 8,
    flag_draft = 16,
};

struct Flags {
    std::uint8_t system = 0;            // SystemFlag bits
    std::vector<std::string> keywords;  // IMAP keywords ($Forwarded, $Junk, ...), sorted, unique

    bool has(SystemFlag f) const { return (system & f) != 0; }
    bool operator==(const Flags&) const = default;
};

enum class FlagOp { add, remove, replace };  // IMAP STORE +FLAGS / -FLAGS / FLAGS

// An inclusive UID range; a UID set is a list of them (IMAP "1:4,7,9:*";
// the IMAP layer turns "*" into max_uid or the mailbox's last UID).
struct UidRange {
    Uid first = 1;
    Uid last = max_uid;
};
using UidSet = std::vector<UidRange>;

inline UidSet all_uids() { return {UidRange{1, max_uid}}; }
inline UidSet one_uid(Uid uid) { return {UidRange{uid, uid}}; }
UidSet uid_set(std::vector<Uid> uids);  // any order, duplicates allowed
bool contains(const UidSet& set, Uid uid);

// RFC 6154 special-use attribute; it follows the mailbox's name ("Sent" is
// \Sent), as Dovecot's configuration does, so a renamed Sent loses it.
enum class SpecialUse { none, sent, drafts, trash, junk };
std::string_view to_string(SpecialUse use);  // "" or "\\Sent", ...

struct MailboxInfo {
    std::string name;  // as IMAP sees it: "INBOX", "Sent", "Lists/lab"
    MailboxId id = 0;  // stable across RENAME; never reused
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highest_modseq = 0;
    std::uint32_t messages = 0;  // STATUS MESSAGES, POP3 STAT count
    std::uint32_t unseen = 0;    // STATUS UNSEEN
    std::uint64_t size = 0;      // sum of message sizes (POP3 STAT, STATUS SIZE)
    SpecialUse special_use = SpecialUse::none;
    bool subscribed = false;
    bool has_children = false;  // LIST \HasChildren / \HasNoChildren (RFC 3348)
    // Every keyword a message here has had, sorted: IMAP FLAGS and
    // PERMANENTFLAGS. Filled by mailbox() and open_mailbox(), not mailboxes().
    std::vector<std::string> keywords;
};

// A mailbox as a session opened it (IMAP SELECT, a POP3 login): operations
// through it act on that mailbox or fail with Errc::gone, never on another
// mailbox that has since taken its name (a RENAME of INBOX makes a new,
// empty INBOX; a DELETE and CREATE a new mailbox of the same name). A
// mailbox renamed away is gone too: the session asked for it by name.
struct MailboxRef {
    std::string user;  // canonical
    std::string name;  // normalized
    MailboxId id = 0;  // 0: whatever has the name at the time of each call (tools, tests, one-shot callers)
    std::uint32_t uidvalidity = 0;
};

// What the change feed publishes about a mailbox after a group commit (change_feed.hpp).
struct MailboxState {
    std::string user;
    MailboxId id = 0;
    ModSeq highest_modseq = 0;
    Uid uidnext = 1;
    std::uint32_t messages = 0;
    bool gone = false;  // renamed away or deleted: refs to it now get Errc::gone
};

struct OpenedMailbox {
    MailboxRef ref;
    MailboxInfo info;  // as it was when opened
};

struct MessageInfo {
    Uid uid = 0;
    Flags flags;
    Time internal_date{};
    std::int16_t zone_minutes = 0;  // INTERNALDATE's zone, e.g. +0800 -> 480
    std::uint64_t size = 0;         // RFC822.SIZE: octets of the raw message
    BlobId blob = 0;
    ModSeq modseq = 0;
};

// POP3 UIDL for a message, shared with IMAP's view: "<uidvalidity>.<uid>".
std::string uidl(std::uint32_t uidvalidity, Uid uid);

struct AppendResult {
    std::uint32_t uidvalidity = 0;  // for UIDPLUS APPENDUID
    Uid uid = 0;
};

struct FlagChange {
    Uid uid = 0;
    Flags flags;       // the flags after the change (IMAP untagged FETCH FLAGS)
    ModSeq modseq = 0;
    bool changed = false;
};

// STORE with UNCHANGEDSINCE (RFC 7162 3.1.3).
struct FlagStoreResult {
    std::vector<FlagChange> changes;  // every message of the set that exists and passed the test, changed or not
    std::vector<Uid> modified;        // the ones whose MODSEQ was above UNCHANGEDSINCE: left alone (the MODIFIED response code)
};

// What changed in a mailbox after a MODSEQ (RFC 7162 CHANGEDSINCE, QRESYNC's VANISHED (EARLIER)).
struct Changes {
    ModSeq highest_modseq = 0;
    Uid uidnext = 1;
    std::vector<FlagChange> changed;  // messages (new or with new flags) whose MODSEQ is above it, by UID
    std::vector<Uid> vanished;        // UIDs expunged after it, ascending
    // The MODSEQ asked for is older than the expunges kept (keys.hpp): `vanished`
    // is incomplete, and the client must resync in full (its UIDs against ours).
    bool too_old = false;
};

struct CopyResult {
    std::uint32_t uidvalidity = 0;  // of the target, for UIDPLUS COPYUID
    std::vector<Uid> source;        // source UIDs, ascending
    std::vector<Uid> target;        // the new UID of each, same order
};

// What an accepted SMTP message (or a bounce) does, all in one durable write.
struct Envelope {
    std::vector<std::string> local_users;   // canonical addresses; each gets a copy in INBOX
    std::string sender;                     // MAIL FROM ("" for <>), kept in the queue entry
    std::vector<std::string> remote_recipients;  // non-empty: a queue entry is made in the same write
    Time received{};                        // INTERNALDATE and queue creation time; {} = now
    std::int16_t zone_minutes = 0;
    std::optional<Time> next_try;           // first attempt of the queue entry; default = received
    // A queue entry whose failed recipients this write reports (it is their
    // bounce): they become bounced in the same write, and the entry goes when
    // no recipient is left pending or failed.
    std::optional<QueueId> completes;
};

struct Delivered {
    std::string user;
    std::uint32_t uidvalidity = 0;
    Uid uid = 0;
};

struct DeliverResult {
    std::vector<Delivered> local;   // one per Envelope::local_users entry, same order
    std::optional<QueueId> queued;  // the new queue entry, if any
    BlobId blob = 0;
};

// failed: permanent, its bounce is still to be sent; bounced: failed and done
// with (the sender got a bounce, or was <> and gets none).
enum class RecipientState : std::uint8_t { pending = 0, delivered = 1, failed = 2, bounced = 3 };
std::string_view to_string(RecipientState state);

struct QueueRecipient {
    std::string address;
    RecipientState state = RecipientState::pending;
    std::string last_error;  // the peer's reply or the connection error
};

struct QueueEntry {
    QueueId id = 0;
    std::string sender;
    std::vector<QueueRecipient> recipients;
    Time created{};
    Time next_try{};
    std::uint32_t attempts = 0;
    std::string last_error;
    BlobId blob = 0;
    std::uint64_t size = 0;
};

struct RecipientUpdate {
    std::string address;  // matched case-insensitively
    RecipientState state = RecipientState::pending;
    std::string last_error;
};

struct QueueUpdate {
    std::vector<RecipientUpdate> recipients;
    std::optional<Time> next_try;
    std::optional<std::string> last_error;  // entry-level, what `mxlab queue list` shows
    bool count_attempt = true;              // false for `mxlab queue retry` (only next_try moves)
    // When every recipient is then delivered or bounced, the entry (and its
    // body reference) goes in this same write: a delivery and the end of its
    // queue entry are one transaction. Entries with failed recipients stay for
    // their bounce, whose deliver() finishes them (Envelope::completes).
    bool remove_when_delivered = true;
};

// Counters for tests, benchmarks and the status page.
struct StoreStats {
    std::uint64_t writes = 0;   // write operations committed (each deliver, append, ... is one)
    std::uint64_t failed = 0;   // write operations that returned an error (nothing written)
    std::uint64_t groups = 0;   // groups the writer thread formed
    std::uint64_t syncs = 0;    // synced WAL writes: one per group with something to write
    std::uint64_t max_group = 0;
};

// What the store has to say beyond return values, for the service's log
// (StoreOptions::on_event): RocksDB stopped taking writes, writes work again,
// RocksDB's own log lines. Reported on RocksDB's and the store's threads.
struct StoreEvent {
    enum class Kind {
        disk_full,    // writes fail: the store's file system is full (once per outage)
        write_error,  // writes fail: another I/O error (once per outage)
        recovered,    // writes work again after disk_full or write_error
        rocksdb,      // a warning or error line of RocksDB's own log (db.cpp says why there is no LOG file)
        upgraded,     // the store was upgraded in place at open (upgrade.hpp); detail says from what to what
    };
    Kind kind;
    std::string detail;                  // RocksDB's status, or its log line
    std::uint64_t free_bytes = 0;        // disk_full: what the file system has free now
    std::chrono::milliseconds outage{};  // recovered: how long writes failed
    unsigned attempts = 0;               // recovered: DB::Resume calls it took
};
using StoreEventHook = std::function<void(const StoreEvent&)>;

}  // namespace mxlab::store
