// The store's layout versions and the in-place upgrade at open: what each schema added, and how an older store is brought up to date.
//
//  schema  added
//  ------  ---------------------------------------------------------------------
//  1       everything up to issue 13 (keys.hpp without the rows below)
//  2       the modseqs and expunged families (RFC 7162 CONDSTORE/QRESYNC),
//          MailboxRecord version 2 (HIGHESTMODSEQ >= 1, the expunge count and
//          floor), and the keywords family (each mailbox's IMAP FLAGS)
//  3       the structures family: each blob's MIME structure (keys.hpp)
//
// Upgrading 1 -> 2 rewrites each mailbox in its own batch: its messages'
// modseqs keys, its keywords key (the keywords its messages have), and its
// record as version 2 with the floor at its HIGHESTMODSEQ (schema 1 kept no expunges, so
// QRESYNC from before the upgrade means a full resync). A record already at
// version 2 is skipped, so an upgrade cut short by a crash resumes where it
// stopped; the schema key is written last, with a sync that makes every
// batch before it durable too. A store from a newer mxlab is refused.
//
// Upgrading 2 -> 3 parses every blob that has no structure yet, a chunk at a
// time (codec::MimeParser: memory is one chunk plus the structure, whatever
// the message's size), writing the structures in batches of 256 blobs,
// unsynced until the schema key's synced write. Resumable the same way:
// a blob that has its structure is skipped. It reads every message once, so
// at open it costs about what reading the store's mail costs (a store of
// 10 GB takes about as long as reading 10 GB); chosen over a backfill on
// first read so that IMAP never pays a parse, and nothing writes on a read.
#pragma once

#include "mail/store/types.hpp"

namespace mxlab::store {

class Db;

// Checks the schema key of a just-opened store, writes it for a new store and
// upgrades an older one (reporting StoreEvent::Kind::upgraded to `hook`).
// Throws StoreOpenError (db.hpp) when the store is newer or cannot be read or upgraded.
void open_schema(const Db& db, const StoreEventHook& hook);

}  // namespace mxlab::store
