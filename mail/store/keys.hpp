// The store's key layout: every column family, key and value, in one table; and the key builders.
//
// Integers in keys are big-endian so that RocksDB's bytewise order is numeric
// order: a scan of one mailbox's messages comes out by UID, the due index by
// time. A user key is the canonical address (names.hpp), which never contains
// NUL, so "user\0" is a prefix that covers exactly that user's entries.
//
//  column family  key                                      value (records.hpp; first byte = record version)
//  -------------  ---------------------------------------  ------------------------------------------------
//  default        "schema"                                 decimal schema version ("3"; upgrade.hpp)
//  counters       "mailbox_id"                             be64 next mailbox id (ids are never reused)
//                 "uidvalidity"                            be64 next UIDVALIDITY (never below the clock)
//                 "queue_id"                               be64 next queue id
//  mailboxes      user \0 name                             MailboxRecord: id, UIDVALIDITY, UIDNEXT,
//                                                          HIGHESTMODSEQ, messages, unseen, total size;
//                                                          expunges recorded and their floor
//  subscriptions  user \0 name                             empty (RFC 3501: may name a missing mailbox)
//  messages       be64 mailbox id, be32 UID                MessageRecord: flags, keywords, internal date
//                                                          and zone, size, blob id, modseq
//  modseqs        be64 mailbox id, be64 MODSEQ, be32 UID   empty: each message under its current MODSEQ
//  expunged       be64 mailbox id, be64 MODSEQ, be32 UID   empty: a UID expunged at that MODSEQ (RFC 7162
//                                                          VANISHED), the last expunged_kept per mailbox
//  keywords       be64 mailbox id                          the mailbox's keywords (IMAP FLAGS), sorted;
//                                                          absent while it has none
//  blob_meta      be64 blob id                             BlobHeader: size, chunk size, chunks, refcount
//  blob_data      be64 blob id, be32 chunk index           up to chunk_size raw message bytes
//  structures     be64 blob id                             the message's MIME structure (codec's
//                                                          encode_structure: parts, offsets, ENVELOPE)
//  queue          be64 queue id                            QueueRecord: sender, recipients with state and
//                                                          last error, created, next try, attempts,
//                                                          last error, blob id, size
//  queue_due      be64 next try (Unix s), be64 queue id    empty: the scheduler's "due before T" index
//
// Why these choices:
//  - Messages are keyed by a global mailbox id, not by name, so RENAME rewrites
//    one mailboxes key, never the messages; and a deleted-then-recreated name
//    gets a new id (and UIDVALIDITY), so stale keys can never be mistaken for
//    the new mailbox's.
//  - A raw message is stored once, in chunks, and shared by reference count:
//    a list delivery to 50 users writes the bytes once. Chunks let a 50 MB
//    message stream out one pinned chunk at a time. blob_meta is small and hot
//    (refcounts change), blob_data is large and write-once, so each family gets
//    its own tuning (blob_data keeps values in RocksDB blob files).
//  - A message's MIME structure is parsed once, as its bytes pass into the
//    store (off the writer thread), and kept beside its blob under the same
//    id: written in the batch that writes the blob header, shared by every
//    copy, deleted with the last reference. IMAP's BODYSTRUCTURE, ENVELOPE
//    and BODY[section] then read a few hundred bytes, never the message. Its
//    own family: blob_meta scans (ids at open, store_dump) stay headers only.
//  - Blob ids are not kept in counters: they are allocated in memory and, at
//    open, resumed after the largest id present in blob_meta or blob_data, so
//    chunks can be written before the commit that references them (blob.hpp).
//  - CONDSTORE/QRESYNC (RFC 7162): "what changed since MODSEQ m" is one range
//    scan of modseqs from (id, m + 1) plus one of expunged, then a lookup per
//    changed message: the cost follows the changes, not the mailbox. A flag
//    change moves the message's modseqs key; an expunge deletes it and adds
//    an expunged key. Expunges are kept per mailbox up to expunged_kept (plus
//    a batch, pruned 1,000 at a time); the MailboxRecord keeps the MODSEQ
//    below which they are incomplete (the floor), so a client asking from
//    further back is told to resync in full rather than given a short list.
//    By count, not age: the space per mailbox stays bounded however busy.
//  - A mailbox's keywords (every keyword a message in it has had: IMAP FLAGS
//    and PERMANENTFLAGS) sit apart from its record, which every delivery
//    rewrites: the list is written only when it grows, and a delivery (no
//    keywords) never reads it. At most max_keywords of at most
//    max_keyword_length IMAP atom characters each (names.hpp).
//  - HIGHESTMODSEQ starts at 1 (RFC 7162 3.1.1: a CONDSTORE server never
//    reports 0), so the first message has MODSEQ 2.
//  - A new UIDVALIDITY is never below the clock (Unix seconds), so
//    a lab that wipes data_dir never hands a client a UIDVALIDITY it has cached
//    with other UIDs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/store/types.hpp"

namespace mxlab::store {

enum class Cf : int {
    default_cf = 0,
    counters,
    mailboxes,
    subscriptions,
    messages,
    blob_meta,
    blob_data,
    queue,
    queue_due,
    modseqs,
    expunged,
    keywords,
    structures,
};
inline constexpr int cf_count = 13;

// RocksDB's names for the families, indexed by Cf.
inline constexpr std::array<std::string_view, cf_count> cf_names = {
    "default", "counters", "mailboxes", "subscriptions", "messages", "blob_meta", "blob_data", "queue", "queue_due", "modseqs", "expunged", "keywords",
    "structures",
};

inline constexpr std::string_view schema_key = "schema";
inline constexpr int schema_version = 3;  // upgrade.hpp: what each version added
inline constexpr std::string_view counter_mailbox_id = "mailbox_id";
inline constexpr std::string_view counter_uidvalidity = "uidvalidity";
inline constexpr std::string_view counter_queue_id = "queue_id";

// Expunged UIDs kept per mailbox for QRESYNC; pruned in batches of expunged_prune.
inline constexpr std::uint32_t expunged_kept = 10000;
inline constexpr std::uint32_t expunged_prune = 1000;

// Raw messages are cut into chunks of this size; the size in force is kept in
// each BlobHeader, so a change here never misreads older blobs.
inline constexpr std::uint32_t chunk_size = 256 * 1024;

namespace keys {

inline void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
    return v;
}

// mailboxes and subscriptions: user \0 name
inline std::string user_prefix(std::string_view user) {
    std::string k(user);
    k.push_back('\0');
    return k;
}
inline std::string mailbox(std::string_view user, std::string_view name) { return user_prefix(user).append(name); }
inline std::string_view mailbox_name(std::string_view key) { return key.substr(key.find('\0') + 1); }

// messages: be64 mailbox id, be32 UID
inline std::string message(MailboxId mailbox, Uid uid) {
    std::string k;
    k.reserve(12);
    put_be(k, mailbox, 8);
    put_be(k, uid, 4);
    return k;
}
inline std::string mailbox_messages(MailboxId mailbox) {
    std::string k;
    put_be(k, mailbox, 8);
    return k;
}
inline Uid message_uid(std::string_view key) { return static_cast<Uid>(get_be(key, 8, 4)); }

// modseqs and expunged: be64 mailbox id, be64 MODSEQ, be32 UID
inline std::string modseq(MailboxId mailbox, ModSeq m, Uid uid) {
    std::string k;
    k.reserve(20);
    put_be(k, mailbox, 8);
    put_be(k, m, 8);
    put_be(k, uid, 4);
    return k;
}
inline std::string modseq_from(MailboxId mailbox, ModSeq m) {
    std::string k;
    put_be(k, mailbox, 8);
    put_be(k, m, 8);
    return k;
}
inline ModSeq modseq_of(std::string_view key) { return get_be(key, 8, 8); }
inline Uid modseq_uid(std::string_view key) { return static_cast<Uid>(get_be(key, 16, 4)); }

// blob_meta: be64 id; blob_data: be64 id, be32 chunk
inline std::string blob(BlobId id) {
    std::string k;
    put_be(k, id, 8);
    return k;
}
inline std::string blob_chunk(BlobId id, std::uint32_t chunk) {
    std::string k;
    k.reserve(12);
    put_be(k, id, 8);
    put_be(k, chunk, 4);
    return k;
}
inline BlobId blob_id(std::string_view key) { return get_be(key, 0, 8); }

// queue: be64 id; queue_due: be64 time, be64 id
inline std::string queue(QueueId id) {
    std::string k;
    put_be(k, id, 8);
    return k;
}
inline QueueId queue_id(std::string_view key) { return get_be(key, 0, 8); }
inline std::uint64_t due_time(Time t) { return t.time_since_epoch().count() < 0 ? 0 : static_cast<std::uint64_t>(t.time_since_epoch().count()); }
inline std::string queue_due(Time next_try, QueueId id) {
    std::string k;
    k.reserve(16);
    put_be(k, due_time(next_try), 8);
    put_be(k, id, 8);
    return k;
}
inline QueueId queue_due_id(std::string_view key) { return get_be(key, 8, 8); }

// counters: be64 value
inline std::string counter_value(std::uint64_t v) {
    std::string s;
    put_be(s, v, 8);
    return s;
}

}  // namespace keys
}  // namespace mxlab::store
