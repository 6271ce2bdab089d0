// Deliver, append, flags, copy, move and expunge inside a write; message listing by UID for reads.
#include "mail/store/message_ops.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "mail/store/keys.hpp"
#include "mail/store/mailbox_ops.hpp"
#include "mail/store/queue_ops.hpp"
#include "mail/store/records.hpp"

namespace mxlab::store::ops {

namespace {

Error undecodable_message() { return make_error(Errc::corrupt, "message record does not decode"); }

// Calls fn for each message of `mailbox` in `uids` (normalized), by UID.
Status scan_uids(KvRead& kv, MailboxId mailbox, const UidSet& uids, const std::function<void(MessageInfo&&)>& fn) {
    bool bad = false;
    for (const auto& r : uids) {
        std::string from = keys::message(mailbox, r.first);
        std::string to = r.last == max_uid ? prefix_end(keys::mailbox_messages(mailbox)) : keys::message(mailbox, r.last + 1);
        auto s = kv.scan(Cf::messages, from, to, [&](std::string_view k, std::string_view v) {
            auto m = decode_message(v, keys::message_uid(k));
            if (!m) {
                bad = true;
                return false;
            }
            fn(std::move(*m));
            return true;
        });
        if (!s) return s;
        if (bad) return undecodable_message();
    }
    return {};
}

Result<std::vector<MessageInfo>> collect(KvRead& kv, MailboxId mailbox, const UidSet& uids) {
    std::vector<MessageInfo> out;
    auto s = scan_uids(kv, mailbox, normalize(uids), [&](MessageInfo&& m) { out.push_back(std::move(m)); });
    if (!s) return s.error();
    return out;
}

// Gives `m` the mailbox's next UID and MODSEQ and counts it in.
Status add_message(WriteTxn& txn, OpenMailbox& box, MessageInfo& m) {
    // UID max_uid stays unused, so "*" in a UID set can never be a real UID
    // that a client confuses with "the last one"; 4 billion deliveries first.
    if (box.rec.uidnext == max_uid) return make_error(Errc::invalid, "mailbox " + box.name + " has used up its UIDs");
    m.uid = box.rec.uidnext++;
    m.modseq = ++box.rec.highest_modseq;
    ++box.rec.messages;
    if (!m.flags.has(flag_seen)) ++box.rec.unseen;
    box.rec.size += m.size;
    txn.put(Cf::messages, keys::message(box.rec.id, m.uid), encode(m));
    txn.put(Cf::modseqs, keys::modseq(box.rec.id, m.modseq, m.uid), {});
    return {};
}

// Takes `m` out of the mailbox's MODSEQ index and records its UID as
// expunged at `at` (RFC 7162 VANISHED); the caller deletes the message key.
void record_expunge(WriteTxn& txn, OpenMailbox& box, const MessageInfo& m, ModSeq at) {
    txn.del(Cf::modseqs, keys::modseq(box.rec.id, m.modseq, m.uid));
    txn.put(Cf::expunged, keys::modseq(box.rec.id, at, m.uid), {});
    ++box.rec.expunged;
}

// Keeps the last expunged_kept expunges, deleting the oldest once a batch
// more has gathered, and raises the floor to the newest MODSEQ deleted.
Status prune_expunged(WriteTxn& txn, OpenMailbox& box) {
    if (box.rec.expunged <= expunged_kept + expunged_prune) return {};
    std::uint32_t drop = box.rec.expunged - expunged_kept;
    std::vector<std::string> old;
    old.reserve(drop);
    auto s = txn.scan_prefix(Cf::expunged, keys::mailbox_messages(box.rec.id), [&](std::string_view k, std::string_view) {
        old.emplace_back(k);
        return old.size() < drop;
    });
    if (!s) return s;
    for (const auto& k : old) txn.del(Cf::expunged, k);
    if (!old.empty()) box.rec.vanished_floor = std::max(box.rec.vanished_floor, keys::modseq_of(old.back()));
    box.rec.expunged -= static_cast<std::uint32_t>(old.size());
    return {};
}

// Loads a mailbox for a write that may be the user's first use: only a miss
// pays for the provisioning check (one lookup per delivery, not two).
Result<OpenMailbox> load_for_write(WriteTxn& txn, std::string_view user, std::string_view mailbox) {
    auto box = load_mailbox(txn, user, mailbox);
    if (box || box.code() != Errc::not_found) return box;
    auto created = provision_user(txn, user, false);
    if (!created) return created.error();
    if (*created == 0) return box;
    return load_mailbox(txn, user, mailbox);
}

void count_out(OpenMailbox& box, const MessageInfo& m) {
    box.rec.messages -= std::min<std::uint32_t>(box.rec.messages, 1);
    if (!m.flags.has(flag_seen)) box.rec.unseen -= std::min<std::uint32_t>(box.rec.unseen, 1);
    box.rec.size -= std::min(box.rec.size, m.size);
}

Flags apply_op(const Flags& current, FlagOp op, const Flags& change) {
    Flags out;
    switch (op) {
        case FlagOp::replace: return change;
        case FlagOp::add:
            out.system = current.system | change.system;
            std::set_union(current.keywords.begin(), current.keywords.end(), change.keywords.begin(), change.keywords.end(),
                           std::back_inserter(out.keywords));
            return out;
        case FlagOp::remove:
            out.system = current.system & ~change.system;
            std::set_difference(current.keywords.begin(), current.keywords.end(), change.keywords.begin(),
                                change.keywords.end(), std::back_inserter(out.keywords));
            return out;
    }
    return current;
}

}  // namespace

UidSet normalize(UidSet set) {
    for (auto& r : set) {
        if (r.first > r.last) std::swap(r.first, r.last);
        r.first = std::max<Uid>(r.first, 1);
    }
    std::erase_if(set, [](const UidRange& r) { return r.last == 0; });
    std::sort(set.begin(), set.end(), [](const UidRange& a, const UidRange& b) { return a.first < b.first; });
    UidSet out;
    for (const auto& r : set) {
        if (!out.empty() && (r.first <= out.back().last || r.first - 1 == out.back().last))
            out.back().last = std::max(out.back().last, r.last);
        else out.push_back(r);
    }
    return out;
}

Flags normalize(Flags flags) {
    flags.system &= flag_seen | flag_answered | flag_flagged | flag_deleted | flag_draft;
    std::sort(flags.keywords.begin(), flags.keywords.end());
    flags.keywords.erase(std::unique(flags.keywords.begin(), flags.keywords.end()), flags.keywords.end());
    std::erase_if(flags.keywords, [](const std::string& k) { return k.empty(); });
    return flags;
}

Result<std::vector<MessageInfo>> list_messages(KvRead& kv, MailboxId mailbox, const UidSet& uids) {
    return collect(kv, mailbox, uids);
}

Result<MessageInfo> find_message(KvRead& kv, MailboxId mailbox, Uid uid) {
    auto v = kv.get(Cf::messages, keys::message(mailbox, uid));
    if (!v) return v.error();
    if (!*v) return make_error(Errc::not_found, "no message with UID " + std::to_string(uid));
    auto m = decode_message(**v, uid);
    if (!m) return undecodable_message();
    return *m;
}

Result<Changes> changes_since(KvRead& kv, const MailboxRef& mailbox, ModSeq since) {
    auto box = load_mailbox(kv, mailbox);
    if (!box) return box.error();
    Changes out;
    out.highest_modseq = box->rec.highest_modseq;
    out.uidnext = box->rec.uidnext;
    out.too_old = since < box->rec.vanished_floor;
    if (since >= out.highest_modseq) return out;  // nothing newer; and since + 1 below cannot wrap to 0
    const MailboxId id = box->rec.id;
    const std::string from = keys::modseq_from(id, since + 1), to = prefix_end(keys::mailbox_messages(id));
    std::vector<Uid> changed;
    auto s = kv.scan(Cf::modseqs, from, to, [&](std::string_view k, std::string_view) {
        changed.push_back(keys::modseq_uid(k));
        return true;
    });
    if (!s) return s.error();
    std::sort(changed.begin(), changed.end());
    for (Uid uid : changed) {
        auto m = find_message(kv, id, uid);
        if (!m) return m.error();  // the index and the messages come from one snapshot: a miss is damage
        out.changed.push_back({uid, std::move(m->flags), m->modseq, true});
    }
    s = kv.scan(Cf::expunged, from, to, [&](std::string_view k, std::string_view) {
        out.vanished.push_back(keys::modseq_uid(k));
        return true;
    });
    if (!s) return s.error();
    std::sort(out.vanished.begin(), out.vanished.end());
    out.vanished.erase(std::unique(out.vanished.begin(), out.vanished.end()), out.vanished.end());
    return out;
}

Result<DeliverResult> deliver(WriteTxn& txn, const Envelope& env, const MessageSource& source) {
    if (env.local_users.empty() && env.remote_recipients.empty()) return make_error(Errc::invalid, "a delivery needs a recipient");
    Time received = env.received == Time{} ? txn.now() : env.received;

    // A list may name a user twice; the user gets one copy.
    std::vector<std::string_view> users;
    std::vector<std::size_t> slot(env.local_users.size());
    for (std::size_t i = 0; i < env.local_users.size(); ++i) {
        auto at = std::find(users.begin(), users.end(), env.local_users[i]);
        slot[i] = static_cast<std::size_t>(at - users.begin());
        if (at == users.end()) users.push_back(env.local_users[i]);
    }
    bool queued = !env.remote_recipients.empty();
    auto blob = store_blob(txn, source, users.size() + (queued ? 1 : 0));
    if (!blob) return blob.error();

    DeliverResult out;
    out.blob = *blob;
    std::vector<Delivered> per_user;
    for (auto user : users) {
        auto box = load_for_write(txn, user, "INBOX");
        if (!box) return box.error();
        MessageInfo m;
        m.internal_date = received;
        m.zone_minutes = env.zone_minutes;
        m.size = source.size();
        m.blob = *blob;
        if (auto s = add_message(txn, *box, m); !s) return s.error();
        save_mailbox(txn, *box);
        per_user.push_back({std::string(user), box->rec.uidvalidity, m.uid});
    }
    for (auto s : slot) out.local.push_back(per_user[s]);

    if (queued) {
        auto id = enqueue(txn, env.sender, env.remote_recipients, received, env.next_try.value_or(received), *blob, source.size());
        if (!id) return id.error();
        out.queued = *id;
    }
    if (env.completes) {
        if (auto s = finish_bounced(txn, *env.completes); !s) return s.error();
    }
    return out;
}

Result<AppendResult> append(WriteTxn& txn, std::string_view user, std::string_view mailbox, const MessageSource& source,
                            const Flags& flags, Time date, std::int16_t zone_minutes) {
    auto box = load_for_write(txn, user, mailbox);
    if (!box) return box.error();
    Flags normalized = normalize(flags);
    if (auto s = add_keywords(txn, *box, normalized.keywords); !s) return s.error();
    auto blob = store_blob(txn, source, 1);
    if (!blob) return blob.error();
    MessageInfo m;
    m.flags = std::move(normalized);
    m.internal_date = date == Time{} ? txn.now() : date;
    m.zone_minutes = zone_minutes;
    m.size = source.size();
    m.blob = *blob;
    if (auto s = add_message(txn, *box, m); !s) return s.error();
    save_mailbox(txn, *box);
    return AppendResult{box->rec.uidvalidity, m.uid};
}

Result<FlagStoreResult> store_flags(WriteTxn& txn, const MailboxRef& mailbox, const UidSet& uids, FlagOp op, const Flags& flags,
                                    std::optional<ModSeq> unchanged_since) {
    auto box = load_mailbox(txn, mailbox);
    if (!box) return box.error();
    auto messages = collect(txn, box->rec.id, uids);
    if (!messages) return messages.error();
    Flags change = normalize(flags);
    if (op != FlagOp::remove) {
        if (auto s = add_keywords(txn, *box, change.keywords); !s) return s.error();
    }
    FlagStoreResult result;
    auto& out = result.changes;
    bool any = false;
    for (auto& m : *messages) {
        // RFC 7162 3.1.3: changed since the client looked: left alone, and reported.
        if (unchanged_since && m.modseq > *unchanged_since) {
            result.modified.push_back(m.uid);
            continue;
        }
        Flags next = apply_op(m.flags, op, change);
        bool changed = next != m.flags;
        if (changed) {
            bool was_seen = m.flags.has(flag_seen), seen = next.has(flag_seen);
            if (was_seen && !seen) ++box->rec.unseen;
            if (!was_seen && seen) box->rec.unseen -= std::min<std::uint32_t>(box->rec.unseen, 1);
            m.flags = std::move(next);
            txn.del(Cf::modseqs, keys::modseq(box->rec.id, m.modseq, m.uid));
            m.modseq = ++box->rec.highest_modseq;  // RFC 7162: every change gets a new MODSEQ
            txn.put(Cf::messages, keys::message(box->rec.id, m.uid), encode(m));
            txn.put(Cf::modseqs, keys::modseq(box->rec.id, m.modseq, m.uid), {});
            any = true;
        }
        out.push_back({m.uid, m.flags, m.modseq, changed});
    }
    if (any) save_mailbox(txn, *box);
    return result;
}

Result<CopyResult> copy_messages(WriteTxn& txn, const MailboxRef& from, const UidSet& uids, std::string_view to, bool move) {
    if (move && from.name == to) return make_error(Errc::invalid, "source and destination are the same mailbox");
    auto src = load_mailbox(txn, from);
    if (!src) return src.error();
    std::optional<OpenMailbox> other;
    if (from.name != to) {
        auto dst = load_mailbox(txn, from.user, to);
        if (!dst) return dst.error();
        other = std::move(*dst);
    }
    OpenMailbox& dst = other ? *other : *src;  // COPY into the same mailbox duplicates the messages

    auto messages = collect(txn, src->rec.id, uids);
    if (!messages) return messages.error();
    if (other) {  // the target's FLAGS must list what the copies carry
        std::set<std::string> carried;
        for (const auto& m : *messages) carried.insert(m.flags.keywords.begin(), m.flags.keywords.end());
        if (auto s = add_keywords(txn, dst, std::vector<std::string>(carried.begin(), carried.end())); !s) return s.error();
    }
    CopyResult out;
    out.uidvalidity = dst.rec.uidvalidity;
    std::map<BlobId, std::uint64_t> refs;
    const ModSeq expunged_at = src->rec.highest_modseq + 1;  // a move's expunge is one change of the source
    for (const auto& m : *messages) {
        MessageInfo copy = m;  // flags and INTERNALDATE are kept (RFC 3501 6.4.7)
        if (auto s = add_message(txn, dst, copy); !s) return s.error();
        out.source.push_back(m.uid);
        out.target.push_back(copy.uid);
        if (move) {
            txn.del(Cf::messages, keys::message(src->rec.id, m.uid));
            record_expunge(txn, *src, m, expunged_at);
            count_out(*src, m);
        } else {
            ++refs[m.blob];
        }
    }
    if (move && !messages->empty()) {
        src->rec.highest_modseq = expunged_at;
        if (auto s = prune_expunged(txn, *src); !s) return s.error();
    }
    // A move keeps the reference count: one reference leaves, one arrives.
    for (auto [blob, n] : refs)
        if (auto s = add_blob_refs(txn, blob, n); !s) return s.error();
    if (!messages->empty()) {
        save_mailbox(txn, *src);
        if (other) save_mailbox(txn, *other);
    }
    return out;
}

Result<std::vector<Uid>> expunge(WriteTxn& txn, const MailboxRef& mailbox, const UidSet& uids, bool only_deleted) {
    auto box = load_mailbox(txn, mailbox);
    if (!box) return box.error();
    auto messages = collect(txn, box->rec.id, uids);
    if (!messages) return messages.error();
    std::vector<Uid> out;
    std::map<BlobId, std::uint64_t> refs;
    const ModSeq at = box->rec.highest_modseq + 1;  // one MODSEQ for the whole expunge
    for (const auto& m : *messages) {
        if (only_deleted && !m.flags.has(flag_deleted)) continue;
        txn.del(Cf::messages, keys::message(box->rec.id, m.uid));
        record_expunge(txn, *box, m, at);
        count_out(*box, m);
        ++refs[m.blob];
        out.push_back(m.uid);
    }
    if (out.empty()) return out;
    for (auto [blob, n] : refs)
        if (auto s = drop_blob_refs(txn, blob, n); !s) return s.error();
    box->rec.highest_modseq = at;
    if (auto s = prune_expunged(txn, *box); !s) return s.error();
    save_mailbox(txn, *box);
    return out;
}

}  // namespace mxlab::store::ops
