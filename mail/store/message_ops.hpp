// Message operations inside the store: deliver, append, flags, copy, move, expunge; and the message lookups of the read API.
//
// Arguments are canonical already (names.hpp). Every operation that gives a
// message a UID takes it from the mailbox record's UIDNEXT and writes the
// record back in the same batch, on the writer thread only: UIDs are unique
// and strictly increasing per mailbox, across restarts too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/blob_ops.hpp"
#include "mail/store/status.hpp"
#include "mail/store/txn.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store::ops {

// Sorted, merged, with UID 0 left out; "4:2" is read as "2:4" (RFC 3501 9, seq-range).
UidSet normalize(UidSet set);
Flags normalize(Flags flags);

Result<std::vector<MessageInfo>> list_messages(KvRead& kv, MailboxId mailbox, const UidSet& uids);
Result<MessageInfo> find_message(KvRead& kv, MailboxId mailbox, Uid uid);  // not_found when absent

Result<DeliverResult> deliver(WriteTxn& txn, const Envelope& env, const MessageSource& source);
Result<AppendResult> append(WriteTxn& txn, std::string_view user, std::string_view mailbox, const MessageSource& source,
                            const Flags& flags, Time date, std::int16_t zone_minutes);
// The ones taking a MailboxRef answer Errc::gone when it no longer names its mailbox.
// With unchanged_since, messages whose MODSEQ is above it are left alone and listed in `modified` (RFC 7162 3.1.3).
Result<FlagStoreResult> store_flags(WriteTxn& txn, const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags,
                                    std::optional<ModSeq> unchanged_since = std::nullopt);
// RFC 7162 CHANGEDSINCE / QRESYNC: range scans of the modseqs and expunged families (keys.hpp), never of the mailbox.
Result<Changes> changes_since(KvRead& kv, const MailboxRef& mailbox, ModSeq since);
Result<CopyResult> copy_messages(WriteTxn& txn, const MailboxRef& from, const UidSet& uids, std::string_view to, bool move);
// Removes the messages in `uids`; with only_deleted, just those flagged \Deleted (IMAP EXPUNGE).
Result<std::vector<Uid>> expunge(WriteTxn& txn, const MailboxRef& mailbox, const UidSet& uids, bool only_deleted);

}  // namespace mxlab::store::ops
