// Mailbox operations inside the store: lookups for the read API, and the writes CREATE, RENAME, DELETE, (UN)SUBSCRIBE need.
//
// Arguments are canonical already (names.hpp): the Store checks them on the
// caller's thread, so the writer thread only does storage work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/records.hpp"
#include "mail/store/status.hpp"
#include "mail/store/txn.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store::ops {

// A mailbox record with its key, loaded to be changed and saved.
struct OpenMailbox {
    std::string key;
    std::string name;
    MailboxRecord rec;
};

Result<std::optional<MailboxRecord>> find_mailbox(KvRead& kv, std::string_view user, std::string_view name);
Result<OpenMailbox> load_mailbox(KvRead& kv, std::string_view user, std::string_view name);  // not_found when absent
// The mailbox `ref` names; with ref.id set, Errc::gone unless it still has
// that name, id and UIDVALIDITY (types.hpp, MailboxRef).
Result<OpenMailbox> load_mailbox(KvRead& kv, const MailboxRef& ref);
MailboxRef ref_of(std::string_view user, const OpenMailbox& box);
void save_mailbox(WriteTxn& txn, const OpenMailbox& box);

// The mailbox's keyword list (keys.hpp, keywords), and adding to it: the
// ones of `keywords` (sorted) it lacks; Errc::invalid past max_keywords.
Result<std::vector<std::string>> load_keywords(KvRead& kv, MailboxId mailbox);
Status add_keywords(WriteTxn& txn, const OpenMailbox& box, const std::vector<std::string>& keywords);

Result<std::vector<MailboxInfo>> list_mailboxes(KvRead& kv, std::string_view user);
Result<MailboxInfo> mailbox_info(KvRead& kv, std::string_view user, std::string_view name);
Result<std::vector<std::string>> list_subscriptions(KvRead& kv, std::string_view user);

// First use: when the user has no INBOX (or `all` is set), creates whichever
// of default_mailboxes are missing. Returns how many it created.
Result<int> provision_user(WriteTxn& txn, std::string_view user, bool all);
// True when all of default_mailboxes exist (a read-only check before a write).
Result<bool> user_provisioned(KvRead& kv, std::string_view user);

Status create_mailbox(WriteTxn& txn, std::string_view user, std::string_view name);
Status rename_mailbox(WriteTxn& txn, std::string_view user, std::string_view from, std::string_view to);
Status delete_mailbox(WriteTxn& txn, std::string_view user, std::string_view name);
Status set_subscribed(WriteTxn& txn, std::string_view user, std::string_view name, bool subscribed);

}  // namespace mxlab::store::ops
