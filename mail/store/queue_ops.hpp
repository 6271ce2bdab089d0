// The outbound queue inside the store: entries with per-recipient state, the due index, and their blob references.
#pragma once

#include <cstddef>
#include <vector>

#include "mail/store/status.hpp"
#include "mail/store/txn.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store::ops {

Result<QueueEntry> load_queue(KvRead& kv, QueueId id);  // not_found when absent
Result<std::vector<QueueEntry>> list_queue(KvRead& kv);
// Entries whose next try is at or before `at`, soonest first.
Result<std::vector<QueueEntry>> due_queue(KvRead& kv, Time at, std::size_t limit);

// A new entry for `recipients`, holding one reference to `blob` (the caller counted it).
Result<QueueId> enqueue(WriteTxn& txn, std::string_view sender, const std::vector<std::string>& recipients, Time created,
                        Time next_try, BlobId blob, std::uint64_t size);
// Records attempt results; removes the entry when all recipients are delivered (QueueUpdate).
Result<QueueEntry> update_queue(WriteTxn& txn, QueueId id, const QueueUpdate& update);
// A bounce was written for the entry's failed recipients: they become bounced,
// and the entry goes when none is left pending or failed.
Status finish_bounced(WriteTxn& txn, QueueId id);
// Removes the entry and its due-index key, and drops its blob reference.
Status remove_queue(WriteTxn& txn, QueueId id);

}  // namespace mxlab::store::ops
