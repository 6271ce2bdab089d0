// Queue entries: enqueue, per-recipient updates with the due index kept in step, removal with the blob reference.
#include "mail/store/queue_ops.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "mail/store/blob_ops.hpp"
#include "mail/store/keys.hpp"
#include "mail/store/names.hpp"
#include "mail/store/records.hpp"

namespace mxlab::store::ops {

namespace {

Error undecodable_entry(QueueId id) { return make_error(Errc::corrupt, "queue entry " + std::to_string(id) + " does not decode"); }

// Nothing left to do: every recipient delivered, or failed and reported.
bool finished(const QueueEntry& e) {
    return std::all_of(e.recipients.begin(), e.recipients.end(), [](const QueueRecipient& r) {
        return r.state == RecipientState::delivered || r.state == RecipientState::bounced;
    });
}

Status erase(WriteTxn& txn, const QueueEntry& e) {
    txn.del(Cf::queue, keys::queue(e.id));
    txn.del(Cf::queue_due, keys::queue_due(e.next_try, e.id));
    return drop_blob_refs(txn, e.blob, 1);
}

}  // namespace

Result<QueueEntry> load_queue(KvRead& kv, QueueId id) {
    auto v = kv.get(Cf::queue, keys::queue(id));
    if (!v) return v.error();
    if (!*v) return make_error(Errc::not_found, "no queue entry " + std::to_string(id));
    auto e = decode_queue(**v, id);
    if (!e) return undecodable_entry(id);
    return std::move(*e);
}

Result<std::vector<QueueEntry>> list_queue(KvRead& kv) {
    std::vector<QueueEntry> out;
    QueueId bad = 0;
    auto s = kv.scan(Cf::queue, "", "", [&](std::string_view k, std::string_view v) {
        auto e = decode_queue(v, keys::queue_id(k));
        if (!e) {
            bad = keys::queue_id(k);
            return false;
        }
        out.push_back(std::move(*e));
        return true;
    });
    if (!s) return s.error();
    if (bad) return undecodable_entry(bad);
    return out;
}

Result<std::vector<QueueEntry>> due_queue(KvRead& kv, Time at, std::size_t limit) {
    std::vector<QueueId> ids;
    std::string end;
    keys::put_be(end, keys::due_time(at) + 1, 8);  // next try <= at
    auto s = kv.scan(Cf::queue_due, "", end, [&](std::string_view k, std::string_view) {
        ids.push_back(keys::queue_due_id(k));
        return ids.size() < limit;
    });
    if (!s) return s.error();
    std::vector<QueueEntry> out;
    for (QueueId id : ids) {
        auto e = load_queue(kv, id);
        if (!e && e.code() == Errc::not_found) continue;  // removed since the index scan (reads are not one snapshot)
        if (!e) return e.error();
        out.push_back(std::move(*e));
    }
    return out;
}

Result<QueueId> enqueue(WriteTxn& txn, std::string_view sender, const std::vector<std::string>& recipients, Time created,
                        Time next_try, BlobId blob, std::uint64_t size) {
    auto id = txn.take_counter(counter_queue_id, 1);
    if (!id) return id.error();
    QueueEntry e;
    e.sender = sender;
    for (const auto& r : recipients) e.recipients.push_back({r, RecipientState::pending, {}});
    e.created = created;
    e.next_try = next_try;
    e.blob = blob;
    e.size = size;
    txn.put(Cf::queue, keys::queue(*id), encode(e));
    txn.put(Cf::queue_due, keys::queue_due(next_try, *id), "");
    return *id;
}

Result<QueueEntry> update_queue(WriteTxn& txn, QueueId id, const QueueUpdate& update) {
    auto e = load_queue(txn, id);
    if (!e) return e.error();
    for (const auto& u : update.recipients) {
        bool found = false;
        for (auto& r : e->recipients) {
            if (!iequals(r.address, u.address)) continue;
            r.state = u.state;
            r.last_error = u.last_error;
            found = true;
        }
        if (!found) return make_error(Errc::not_found, "queue entry " + std::to_string(id) + " has no recipient " + u.address);
    }
    if (update.next_try && *update.next_try != e->next_try) {
        txn.del(Cf::queue_due, keys::queue_due(e->next_try, id));
        e->next_try = *update.next_try;
        txn.put(Cf::queue_due, keys::queue_due(e->next_try, id), "");
    }
    if (update.last_error) e->last_error = *update.last_error;
    if (update.count_attempt) ++e->attempts;
    if (finished(*e) && update.remove_when_delivered) {
        if (auto s = erase(txn, *e); !s) return s.error();
        return std::move(*e);
    }
    txn.put(Cf::queue, keys::queue(id), encode(*e));
    return std::move(*e);
}

Status finish_bounced(WriteTxn& txn, QueueId id) {
    auto e = load_queue(txn, id);
    if (!e) return e.error();
    for (auto& r : e->recipients) {
        if (r.state == RecipientState::failed) r.state = RecipientState::bounced;
    }
    if (finished(*e)) return erase(txn, *e);
    txn.put(Cf::queue, keys::queue(id), encode(*e));
    return {};
}

Status remove_queue(WriteTxn& txn, QueueId id) {
    auto e = load_queue(txn, id);
    if (!e) return e.error();
    return erase(txn, *e);
}

}  // namespace mxlab::store::ops
