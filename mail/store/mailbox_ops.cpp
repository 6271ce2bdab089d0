// CREATE, RENAME, DELETE, subscriptions and first-use provisioning of a user's mailboxes (RFC 3501 sections 6.3.3-6.3.7).
#include "mail/store/mailbox_ops.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include "mail/store/blob_ops.hpp"
#include "mail/store/keys.hpp"
#include "mail/store/names.hpp"

namespace mxlab::store::ops {

namespace {

Error undecodable(std::string_view what) { return make_error(Errc::corrupt, std::string(what) + " record does not decode"); }

// A new, empty mailbox record: a fresh id and UIDVALIDITY, UIDNEXT 1.
Result<MailboxRecord> new_record(WriteTxn& txn) {
    MailboxRecord r;
    r.highest_modseq = 1;  // RFC 7162 3.1.1: never 0 (keys.hpp)
    auto id = txn.take_counter(counter_mailbox_id, 1);
    if (!id) return id.error();
    r.id = *id;
    // UIDVALIDITY: never below the clock, never repeated (keys.hpp says why).
    auto v = txn.get(Cf::counters, counter_uidvalidity);
    if (!v) return v.error();
    auto now = static_cast<std::uint64_t>(std::max<std::int64_t>(1, txn.now().time_since_epoch().count()));
    std::uint64_t next = now;
    if (*v) {
        auto stored = decode_counter(**v);
        if (!stored) return undecodable("uidvalidity counter");
        next = std::max(*stored, now);
    }
    r.uidvalidity = static_cast<std::uint32_t>(next);  // 32 bits last until 2106
    txn.put(Cf::counters, counter_uidvalidity, keys::counter_value(next + 1));
    return r;
}

Status create_one(WriteTxn& txn, std::string_view user, std::string_view name) {
    auto r = new_record(txn);
    if (!r) return r.error();
    txn.put(Cf::mailboxes, keys::mailbox(user, name), encode(*r));
    return {};
}

// RFC 3501 6.3.3: CREATE and RENAME make the superior names a name needs.
Status create_parents(WriteTxn& txn, std::string_view user, std::string_view name) {
    for (std::size_t p = name.find(hierarchy_separator); p != std::string_view::npos; p = name.find(hierarchy_separator, p + 1)) {
        auto parent = name.substr(0, p);
        auto found = find_mailbox(txn, user, parent);
        if (!found) return found.error();
        if (!*found) {
            if (auto s = create_one(txn, user, parent); !s) return s;
        }
    }
    return {};
}

MailboxInfo to_info(std::string name, const MailboxRecord& r) {
    MailboxInfo i;
    i.special_use = special_use_of(name);
    i.name = std::move(name);
    i.id = r.id;
    i.uidvalidity = r.uidvalidity;
    i.uidnext = r.uidnext;
    i.highest_modseq = r.highest_modseq;
    i.messages = r.messages;
    i.unseen = r.unseen;
    i.size = r.size;
    return i;
}

// Sessions watching a mailbox renamed away or deleted learn it from the feed.
void note_gone(WriteTxn& txn, std::string_view user, const MailboxRecord& r) {
    txn.note(MailboxState{std::string(user), r.id, r.highest_modseq, r.uidnext, r.messages, true});
}

Result<bool> has_children(KvRead& kv, std::string_view user, std::string_view name) {
    bool any = false;
    auto prefix = keys::mailbox(user, name) + hierarchy_separator;
    auto s = kv.scan_prefix(Cf::mailboxes, prefix, [&](std::string_view, std::string_view) {
        any = true;
        return false;
    });
    if (!s) return s.error();
    return any;
}

}  // namespace

Result<std::optional<MailboxRecord>> find_mailbox(KvRead& kv, std::string_view user, std::string_view name) {
    auto v = kv.get(Cf::mailboxes, keys::mailbox(user, name));
    if (!v) return v.error();
    if (!*v) return std::optional<MailboxRecord>();
    auto r = decode_mailbox(**v);
    if (!r) return undecodable("mailbox");
    return std::optional<MailboxRecord>(*r);
}

Result<OpenMailbox> load_mailbox(KvRead& kv, std::string_view user, std::string_view name) {
    auto r = find_mailbox(kv, user, name);
    if (!r) return r.error();
    if (!*r) return make_error(Errc::not_found, "no mailbox " + std::string(name));
    return OpenMailbox{keys::mailbox(user, name), std::string(name), **r};
}

Result<OpenMailbox> load_mailbox(KvRead& kv, const MailboxRef& ref) {
    auto box = load_mailbox(kv, ref.user, ref.name);
    if (ref.id == 0) return box;
    if ((!box && box.code() == Errc::not_found) || (box && (box->rec.id != ref.id || box->rec.uidvalidity != ref.uidvalidity)))
        return make_error(Errc::gone, "mailbox " + ref.name + " was renamed or deleted since it was opened");
    return box;
}

MailboxRef ref_of(std::string_view user, const OpenMailbox& box) {
    return MailboxRef{std::string(user), box.name, box.rec.id, box.rec.uidvalidity};
}

void save_mailbox(WriteTxn& txn, const OpenMailbox& box) {
    txn.put(Cf::mailboxes, box.key, encode(box.rec));
    txn.note(MailboxState{box.key.substr(0, box.key.find('\0')), box.rec.id, box.rec.highest_modseq, box.rec.uidnext, box.rec.messages});
}

Result<std::vector<std::string>> list_subscriptions(KvRead& kv, std::string_view user) {
    std::vector<std::string> out;
    auto s = kv.scan_prefix(Cf::subscriptions, keys::user_prefix(user), [&](std::string_view k, std::string_view) {
        out.emplace_back(keys::mailbox_name(k));
        return true;
    });
    if (!s) return s.error();
    return out;
}

Result<std::vector<MailboxInfo>> list_mailboxes(KvRead& kv, std::string_view user) {
    std::vector<MailboxInfo> out;
    bool bad = false;
    auto s = kv.scan_prefix(Cf::mailboxes, keys::user_prefix(user), [&](std::string_view k, std::string_view v) {
        auto r = decode_mailbox(v);
        if (!r) {
            bad = true;
            return false;
        }
        out.push_back(to_info(std::string(keys::mailbox_name(k)), *r));
        return true;
    });
    if (!s) return s.error();
    if (bad) return undecodable("mailbox");

    auto subs = list_subscriptions(kv, user);
    if (!subs) return subs.error();
    std::set<std::string, std::less<>> subscribed(subs->begin(), subs->end());
    // Every proper prefix ending before a separator is a parent with children.
    std::set<std::string, std::less<>> parents;
    for (const auto& m : out)
        for (std::size_t p = m.name.find(hierarchy_separator); p != std::string::npos; p = m.name.find(hierarchy_separator, p + 1))
            parents.insert(m.name.substr(0, p));
    for (auto& m : out) {
        m.subscribed = subscribed.contains(m.name);
        m.has_children = parents.contains(m.name);
    }
    return out;
}

Result<std::vector<std::string>> load_keywords(KvRead& kv, MailboxId mailbox) {
    auto v = kv.get(Cf::keywords, keys::mailbox_messages(mailbox));
    if (!v) return v.error();
    if (!*v) return std::vector<std::string>();
    auto list = decode_keywords(**v);
    if (!list) return undecodable("keyword list");
    return std::move(*list);
}

Status add_keywords(WriteTxn& txn, const OpenMailbox& box, const std::vector<std::string>& keywords) {
    if (keywords.empty()) return {};  // a delivery: no read
    auto list = load_keywords(txn, box.rec.id);
    if (!list) return list.error();
    std::vector<std::string> merged;
    std::set_union(list->begin(), list->end(), keywords.begin(), keywords.end(), std::back_inserter(merged));
    if (merged.size() == list->size()) return {};
    if (merged.size() > max_keywords)
        return make_error(Errc::invalid, "mailbox " + box.name + " already has " + std::to_string(list->size()) +
                                             " keywords; it keeps at most " + std::to_string(max_keywords) +
                                             ", so no new one can be added (existing ones still can)");
    txn.put(Cf::keywords, keys::mailbox_messages(box.rec.id), encode_keywords(merged));
    return {};
}

Result<MailboxInfo> mailbox_info(KvRead& kv, std::string_view user, std::string_view name) {
    auto box = load_mailbox(kv, user, name);
    if (!box) return box.error();
    auto info = to_info(std::string(name), box->rec);
    auto keywords = load_keywords(kv, box->rec.id);
    if (!keywords) return keywords.error();
    info.keywords = std::move(*keywords);
    auto sub = kv.get(Cf::subscriptions, keys::mailbox(user, name));
    if (!sub) return sub.error();
    info.subscribed = sub->has_value();
    auto children = has_children(kv, user, name);
    if (!children) return children.error();
    info.has_children = *children;
    return info;
}

Result<bool> user_provisioned(KvRead& kv, std::string_view user) {
    for (auto name : default_mailboxes) {
        auto v = kv.get(Cf::mailboxes, keys::mailbox(user, name));
        if (!v) return v.error();
        if (!*v) return false;
    }
    return true;
}

Result<int> provision_user(WriteTxn& txn, std::string_view user, bool all) {
    if (!all) {
        // INBOX can be renamed but never deleted (RENAME makes a new one), so
        // a user without INBOX has never been used.
        auto inbox = txn.get(Cf::mailboxes, keys::mailbox(user, "INBOX"));
        if (!inbox) return inbox.error();
        if (*inbox) return 0;
    }
    int created = 0;
    for (auto name : default_mailboxes) {
        auto found = txn.get(Cf::mailboxes, keys::mailbox(user, name));
        if (!found) return found.error();
        if (*found) continue;
        if (auto s = create_one(txn, user, name); !s) return s.error();
        // Subscribed as they are made (Dovecot's `auto = subscribe`): Thunderbird
        // shows only subscribed folders, and a student's Sent should be there.
        txn.put(Cf::subscriptions, keys::mailbox(user, name), "");
        ++created;
    }
    return created;
}

Status create_mailbox(WriteTxn& txn, std::string_view user, std::string_view name) {
    if (auto p = provision_user(txn, user, false); !p) return p.error();
    auto found = find_mailbox(txn, user, name);
    if (!found) return found.error();
    if (*found) return make_error(Errc::already_exists, "mailbox " + std::string(name) + " already exists");
    if (auto s = create_parents(txn, user, name); !s) return s;
    return create_one(txn, user, name);
}

Status rename_mailbox(WriteTxn& txn, std::string_view user, std::string_view from, std::string_view to) {
    if (auto p = provision_user(txn, user, false); !p) return p.error();
    auto src = load_mailbox(txn, user, from);
    if (!src) return src.error();
    auto target = find_mailbox(txn, user, to);
    if (!target) return target.error();
    if (*target) return make_error(Errc::already_exists, "mailbox " + std::string(to) + " already exists");

    if (is_inbox(from)) {
        // RFC 3501 6.3.5: renaming INBOX moves its messages to the new name
        // and leaves an empty INBOX; INBOX's children stay where they are.
        // The messages follow the record (its id), and INBOX starts afresh.
        if (auto s = create_parents(txn, user, to); !s) return s;
        txn.put(Cf::mailboxes, keys::mailbox(user, to), encode(src->rec));
        note_gone(txn, user, src->rec);
        return create_one(txn, user, "INBOX");
    }

    if (to.size() > from.size() && to.substr(0, from.size()) == from && to[from.size()] == hierarchy_separator)
        return make_error(Errc::invalid, "cannot rename a mailbox into itself");

    // Children move with their parent (RFC 3501 6.3.5): "a/b" becomes "to/b".
    // Collect first: the batch must not change under a scan.
    std::vector<std::pair<std::string, std::string>> children;  // old name, value
    auto s = txn.scan_prefix(Cf::mailboxes, src->key + hierarchy_separator, [&](std::string_view k, std::string_view v) {
        children.emplace_back(std::string(keys::mailbox_name(k)), std::string(v));
        return true;
    });
    if (!s) return s;
    for (const auto& [old_name, value] : children) {
        std::string new_name = std::string(to) + old_name.substr(from.size());
        auto clash = find_mailbox(txn, user, new_name);
        if (!clash) return clash.error();
        if (*clash) return make_error(Errc::already_exists, "mailbox " + new_name + " already exists");
    }
    txn.del(Cf::mailboxes, src->key);
    note_gone(txn, user, src->rec);
    for (const auto& [old_name, value] : children) {
        if (auto r = decode_mailbox(value)) note_gone(txn, user, *r);
        txn.del(Cf::mailboxes, keys::mailbox(user, old_name));
        txn.put(Cf::mailboxes, keys::mailbox(user, std::string(to) + old_name.substr(from.size())), value);
    }
    txn.put(Cf::mailboxes, keys::mailbox(user, to), encode(src->rec));
    return create_parents(txn, user, to);
}

Status delete_mailbox(WriteTxn& txn, std::string_view user, std::string_view name) {
    if (is_inbox(name)) return make_error(Errc::invalid, "INBOX cannot be deleted");
    auto box = load_mailbox(txn, user, name);
    if (!box) return box.error();
    // RFC 3501 6.3.4 would leave a \Noselect parent; like Dovecot, refuse
    // instead, so the store never has mailboxes that are only names.
    auto children = has_children(txn, user, name);
    if (!children) return children.error();
    if (*children) return make_error(Errc::invalid, "mailbox " + std::string(name) + " has child mailboxes; delete them first");

    std::vector<std::string> message_keys;
    std::map<BlobId, std::uint64_t> refs;
    bool bad = false;
    auto s = txn.scan_prefix(Cf::messages, keys::mailbox_messages(box->rec.id), [&](std::string_view k, std::string_view v) {
        auto m = decode_message(v, keys::message_uid(k));
        if (!m) {
            bad = true;
            return false;
        }
        message_keys.emplace_back(k);
        message_keys.push_back(keys::modseq(box->rec.id, m->modseq, m->uid));  // its modseqs key: same count, other family
        ++refs[m->blob];
        return true;
    });
    if (!s) return s;
    if (bad) return undecodable("message");
    for (std::size_t i = 0; i < message_keys.size(); i += 2) {
        txn.del(Cf::messages, message_keys[i]);
        txn.del(Cf::modseqs, message_keys[i + 1]);
    }
    std::vector<std::string> expunged;
    s = txn.scan_prefix(Cf::expunged, keys::mailbox_messages(box->rec.id), [&](std::string_view k, std::string_view) {
        expunged.emplace_back(k);
        return true;
    });
    if (!s) return s;
    for (const auto& k : expunged) txn.del(Cf::expunged, k);
    txn.del(Cf::keywords, keys::mailbox_messages(box->rec.id));
    for (auto [blob, n] : refs)
        if (auto d = drop_blob_refs(txn, blob, n); !d) return d;
    txn.del(Cf::mailboxes, box->key);
    note_gone(txn, user, box->rec);
    return {};
}

Status set_subscribed(WriteTxn& txn, std::string_view user, std::string_view name, bool subscribed) {
    // RFC 3501 6.3.6: a subscription may name a mailbox that does not exist
    // (yet, or any more), so it is not tied to the mailbox record.
    if (subscribed) txn.put(Cf::subscriptions, keys::mailbox(user, name), "");
    else txn.del(Cf::subscriptions, keys::mailbox(user, name));
    return {};
}

}  // namespace mxlab::store::ops
