// The IMAP session's mailbox commands: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE), LSUB, STATUS and APPEND.
#include <algorithm>
#include <set>
#include <utility>

#include "mail/imap/format.hpp"
#include "mail/imap/line_ends.hpp"
#include "mail/imap/list_match.hpp"
#include "mail/imap/mailbox_name.hpp"
#include "mail/imap/session.hpp"
#include "mail/imap/session_internal.hpp"
#include "mail/store/names.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

namespace {

// Bounds that keep LIST's matching cheap (list_match.hpp) whatever a user makes: far beyond what a
// student's folders need (Dovecot refuses names past 255 bytes a level).
constexpr std::size_t kMaxNameBytes = 512;
constexpr std::size_t kMaxMailboxes = 1000;  // per user, at CREATE
constexpr std::size_t kMaxPatternBytes = 1024;

}  // namespace

std::optional<std::string> Session::mailbox_name(const Command& cmd, const std::string& raw) {
    auto utf8 = mailbox_from_client(raw, enabled_.utf8 || enabled_.imap4rev2);
    if (!utf8) {
        tagged(cmd, "NO", "[CANNOT] Mailbox name is not valid " + std::string(enabled_.utf8 ? "UTF-8." : "modified UTF-7."));
        return std::nullopt;
    }
    std::string name = std::move(*utf8);
    // "Lists/" names "Lists" (RFC 9051 6.3.4: a trailing separator on CREATE).
    while (name.size() > 1 && name.back() == store::hierarchy_separator) name.pop_back();
    if (name.size() > kMaxNameBytes) {
        tagged(cmd, "NO", "[CANNOT] Mailbox name is too long (at most " + std::to_string(kMaxNameBytes) + " bytes).");
        return std::nullopt;
    }
    auto normal = store::normalize_mailbox(name);
    if (!normal) {
        tagged(cmd, "NO", "[CANNOT] " + normal.error().message);
        return std::nullopt;
    }
    return std::move(*normal);
}

std::string Session::client_name(const std::string& stored) const {
    return mailbox_to_client(stored, enabled_.utf8 || enabled_.imap4rev2);
}

asio::awaitable<void> Session::create(const Command& cmd) {
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) co_return;
    if (store::is_inbox(*name)) {
        tagged(cmd, "NO", "[ALREADYEXISTS] Mailbox already exists.");
        co_return;
    }
    auto existing = co_await store_.mailboxes(user_);
    if (existing && existing->size() >= kMaxMailboxes) {
        tagged(cmd, "NO", "[LIMIT] Too many mailboxes (at most " + std::to_string(kMaxMailboxes) + "); delete some first.");
        co_return;
    }
    auto r = co_await store_.create_mailbox(user_, *name);
    if (!r) store_failed(cmd, r.error());
    else tagged(cmd, "OK", "Create completed.");
}

asio::awaitable<void> Session::remove(const Command& cmd) {
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) co_return;
    if (store::is_inbox(*name)) {
        tagged(cmd, "NO", "[CANNOT] INBOX can't be deleted.");
        co_return;
    }
    auto r = co_await store_.delete_mailbox(user_, *name);
    if (!r) store_failed(cmd, r.error());
    else tagged(cmd, "OK", "Delete completed.");
}

asio::awaitable<void> Session::rename(const Command& cmd) {
    auto from = mailbox_name(cmd, cmd.mailbox);
    if (!from) co_return;
    auto to = mailbox_name(cmd, cmd.mailbox2);
    if (!to) co_return;
    auto r = co_await store_.rename_mailbox(user_, *from, *to);
    if (!r) store_failed(cmd, r.error());
    else tagged(cmd, "OK", "Rename completed.");
}

asio::awaitable<void> Session::subscribe(const Command& cmd, bool on) {
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) co_return;
    // Two statements, not a conditional with a co_await in each arm: g++ 12 miscompiles that.
    store::Status r;
    if (on) r = co_await store_.subscribe(user_, *name);
    else r = co_await store_.unsubscribe(user_, *name);
    if (!r) store_failed(cmd, r.error());
    else tagged(cmd, "OK", on ? "Subscribe completed." : "Unsubscribe completed.");
}

namespace {

void append_status_items(std::string& out, const store::MailboxInfo& info, const StatusItems& items, std::uint32_t deleted) {
    std::string list;
    auto add = [&](std::string_view name, std::uint64_t value) {
        if (!list.empty()) list += ' ';
        list += name;
        list += ' ';
        list += std::to_string(value);
    };
    if (items.messages) add("MESSAGES", info.messages);
    if (items.recent) add("RECENT", 0);  // the store is recent-free (types.hpp); sessions learn \Recent at SELECT
    if (items.uidnext) add("UIDNEXT", info.uidnext);
    if (items.uidvalidity) add("UIDVALIDITY", info.uidvalidity);
    if (items.unseen) add("UNSEEN", info.unseen);
    if (items.deleted) add("DELETED", deleted);
    if (items.size) add("SIZE", info.size);
    if (items.highestmodseq) add("HIGHESTMODSEQ", info.highest_modseq);
    out += '(' + list + ')';
}

// STATUS DELETED (RFC 9051 6.3.11) is not kept as a count: the messages are looked at.
std::uint32_t count_deleted(store::Store& s, const std::string& user, const std::string& name) {
    auto messages = s.messages(user, name);
    if (!messages) return 0;
    return static_cast<std::uint32_t>(std::count_if(messages->begin(), messages->end(),
                                                    [](const store::MessageInfo& m) { return m.flags.has(store::flag_deleted); }));
}

}  // namespace

asio::awaitable<void> Session::status(const Command& cmd) {
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) co_return;
    struct Got {
        store::Result<store::MailboxInfo> info{store::Error{store::Errc::io, ""}};
        std::uint32_t deleted = 0;
    };
    const bool want_deleted = cmd.status.deleted;
    auto read = [&](store::Store& s) {
        Got g;
        g.info = s.mailbox(user_, *name);
        if (g.info && want_deleted) g.deleted = count_deleted(s, user_, *name);
        return g;
    };
    Got g = co_await store_.run(read);
    if (!g.info) {
        store_failed(cmd, g.info.error());
        co_return;
    }
    out_ += "* STATUS ";
    append_astring(out_, client_name(*name));
    out_ += ' ';
    append_status_items(out_, *g.info, cmd.status, g.deleted);
    out_ += "\r\n";
    tagged(cmd, "OK", "Status completed.");
}

asio::awaitable<void> Session::list(const Command& cmd) {
    const std::string& reference = cmd.strings.empty() ? std::string() : cmd.strings[0];
    std::vector<std::string> patterns;
    for (std::size_t i = 1; i < cmd.strings.size(); ++i) patterns.push_back(list_pattern(reference, cmd.strings[i]));
    const ListOptions& o = cmd.list;
    for (const auto& p : patterns) {
        if (p.size() > kMaxPatternBytes) {
            tagged(cmd, "BAD", "LIST pattern too long.");
            co_return;
        }
    }
    // RFC 9051 6.3.9: an empty pattern asks for the separator and the root.
    if (patterns.size() == 1 && patterns[0].empty() && cmd.strings.size() == 2 && cmd.strings[1].empty()) {
        out_ += "* LIST (\\Noselect) \"/\" \"\"\r\n";
        tagged(cmd, "OK", "List completed.");
        co_return;
    }
    for (auto& p : patterns) {
        auto decoded = mailbox_from_client(p, enabled_.utf8 || enabled_.imap4rev2);
        if (decoded) p = std::move(*decoded);
    }
    struct Listed {
        store::Result<std::vector<store::MailboxInfo>> boxes{store::Error{store::Errc::io, ""}};
        std::vector<std::uint32_t> deleted;
    };
    const bool deleted = o.return_status && o.return_status->deleted;
    auto read = [&](store::Store& s) {
        Listed l;
        l.boxes = s.mailboxes(user_);
        if (l.boxes && o.return_status) {
            // LIST-STATUS needs the counts mailboxes() leaves out of the keyword lists; mailbox() has them.
            for (auto& b : *l.boxes) {
                bool wanted = false;
                for (const auto& p : patterns) wanted = wanted || list_matches(p, b.name);
                if (!wanted) continue;
                if (auto full = s.mailbox(user_, b.name)) {
                    full->subscribed = b.subscribed;
                    full->has_children = b.has_children;
                    b = std::move(*full);
                }
                l.deleted.push_back(deleted ? count_deleted(s, user_, b.name) : 0);
            }
        }
        return l;
    };
    Listed l = co_await store_.run(read);
    if (!l.boxes) {
        store_failed(cmd, l.boxes.error());
        co_return;
    }
    std::size_t status_index = 0;
    for (const auto& b : *l.boxes) {
        bool match = false;
        for (const auto& p : patterns) match = match || list_matches(p, b.name);
        if (!match) continue;
        const std::uint32_t deleted_here = o.return_status ? l.deleted[status_index++] : 0;
        if (o.subscribed && !b.subscribed) continue;
        const std::string_view use = store::to_string(b.special_use);
        if (o.special_use && use.empty()) continue;
        std::string attrs;
        auto add = [&](std::string_view a) {
            if (!attrs.empty()) attrs += ' ';
            attrs += a;
        };
        add(b.has_children ? "\\HasChildren" : "\\HasNoChildren");
        if ((o.subscribed || o.return_subscribed) && b.subscribed) add("\\Subscribed");
        if (!use.empty()) add(use);  // on plain LIST too, as Dovecot does (DESIGN.md section 5)
        out_ += "* LIST (" + attrs + ") \"/\" ";
        const std::string name = client_name(b.name);
        append_astring(out_, name);
        out_ += "\r\n";
        if (o.return_status) {
            out_ += "* STATUS ";
            append_astring(out_, name);
            out_ += ' ';
            append_status_items(out_, b, *o.return_status, deleted_here);
            out_ += "\r\n";
        }
    }
    tagged(cmd, "OK", "List completed.");
}

asio::awaitable<void> Session::lsub(const Command& cmd) {
    const std::string& reference = cmd.strings.empty() ? std::string() : cmd.strings[0];
    const std::string pattern = list_pattern(reference, cmd.strings.size() > 1 ? cmd.strings[1] : std::string());
    if (pattern.size() > kMaxPatternBytes) {
        tagged(cmd, "BAD", "LSUB pattern too long.");
        co_return;
    }
    auto decoded = mailbox_from_client(pattern, enabled_.utf8 || enabled_.imap4rev2);
    auto subs = co_await store_.subscriptions(user_);
    if (!subs) {
        store_failed(cmd, subs.error());
        co_return;
    }
    for (const auto& name : *subs) {
        if (!list_matches(decoded ? *decoded : pattern, name)) continue;
        out_ += "* LSUB () \"/\" ";
        append_astring(out_, client_name(name));
        out_ += "\r\n";
    }
    tagged(cmd, "OK", "Lsub completed.");
}

std::optional<std::string> Session::append_target(const Command& cmd, std::uint64_t size) {
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) return std::nullopt;
    if (size > max_append_) {
        tagged(cmd, "NO", "[TOOBIG] Message is larger than this server accepts (" + std::to_string(max_append_) + " bytes).");
        return std::nullopt;
    }
    if (size == 0) {
        tagged(cmd, "NO", "Can't save an empty message.");
        return std::nullopt;
    }
    return name;
}

std::optional<std::string> Session::append_code(const Command& cmd, const store::Result<store::AppendResult>& r) {
    if (!r) {
        if (r.code() == store::Errc::not_found) tagged(cmd, "NO", "[TRYCREATE] Mailbox doesn't exist.");
        else store_failed(cmd, r.error());
        return std::nullopt;
    }
    ++counts_.appended;
    return "[APPENDUID " + std::to_string(r->uidvalidity) + " " + std::to_string(r->uid) + "] Append completed.";
}

asio::awaitable<void> Session::append(const Command& cmd, std::string_view message) {
    std::string crlf;
    CrlfNormalizer().feed(message, crlf);
    auto name = append_target(cmd, crlf.size());
    if (!name) co_return;
    const store::Time date = cmd.append_date ? *cmd.append_date : store::Time{};
    auto r = co_await store_.append(user_, *name, crlf, cmd.flags, date, cmd.append_zone_minutes);
    auto done = append_code(cmd, r);
    if (!done) co_return;
    // Into the selected mailbox: the client learns of it (EXISTS) before the tagged reply, as Dovecot answers.
    if (selected_ && selected_->ref.name == *name && !co_await sync(true)) co_return;
    tagged(cmd, "OK", *done);
}

asio::awaitable<void> Session::append(const Command& cmd, store::StagedBlob staged, std::uint64_t size) {
    auto name = append_target(cmd, size);
    if (!name) {
        // Dropping the staged chunks is a store write: on the pool, not on this network thread.
        auto drop = [&](store::Store&) { return staged = store::StagedBlob(), 0; };
        co_await store_.run(drop);
        co_return;
    }
    const store::Time date = cmd.append_date ? *cmd.append_date : store::Time{};
    auto r = co_await store_.append(user_, *name, std::move(staged), cmd.flags, date, cmd.append_zone_minutes);
    auto done = append_code(cmd, r);
    if (!done) co_return;
    if (selected_ && selected_->ref.name == *name && !co_await sync(true)) co_return;
    tagged(cmd, "OK", *done);
}

}  // namespace mxlab::imap
