// The IMAP session's selected state: SELECT and EXAMINE (CONDSTORE, QRESYNC), keeping the view in step with the change feed, CLOSE, UNSELECT, EXPUNGE, STORE, COPY and MOVE.
#include <algorithm>
#include <utility>

#include "mail/imap/format.hpp"
#include "mail/imap/session.hpp"
#include "mail/imap/session_internal.hpp"
#include "mail/store/names.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

namespace {

void append_permanent(std::string& out, const std::vector<std::string>& keywords, bool read_only) {
    if (read_only) {
        out += "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n";
        return;
    }
    out += "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    for (const auto& k : keywords) out += ' ' + k;
    out += " \\*)] Flags permitted.\r\n";
}

void append_flag_list(std::string& out, const std::vector<std::string>& keywords) {
    out += "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft";
    for (const auto& k : keywords) out += ' ' + k;
    out += ")\r\n";
}

// The UIDs of `known` the view no longer has, as ranges: what a QRESYNC client must drop when the
// store's expunge records do not reach back to its MODSEQ (RFC 7162 3.2.5.2).
std::vector<store::UidRange> missing_from(const std::vector<store::UidRange>& known, const MailboxView& v) {
    std::vector<store::UidRange> gaps;
    for (const auto& r : known) {
        // The first message at or after r.first, by binary search over the numbers.
        std::uint32_t lo = 1, hi = v.exists() + 1;
        while (lo < hi) {
            const std::uint32_t mid = lo + (hi - lo) / 2;
            if (v.at(mid).uid < r.first) lo = mid + 1;
            else hi = mid;
        }
        store::Uid next = r.first;
        for (std::uint32_t msn = lo; msn <= v.exists() && v.at(msn).uid <= r.last; ++msn) {
            const store::Uid u = v.at(msn).uid;
            if (u > next) gaps.push_back({next, u - 1});
            next = u + 1;
        }
        if (next <= r.last && next != 0) gaps.push_back({next, r.last});
    }
    return gaps;
}

}  // namespace

// Each \Recent range follows the last: their union is one range.
store::FeedUpdate merge_updates(std::optional<store::FeedUpdate> older, store::FeedUpdate newer) {
    if (!older || older->state.id != newer.state.id) return newer;  // another mailbox's news is stale
    if (older->recent && newer.recent) newer.recent->first = std::min(newer.recent->first, older->recent->first);
    else if (older->recent) newer.recent = older->recent;
    newer.state.gone = newer.state.gone || older->state.gone;
    return newer;
}

void Session::news(store::FeedUpdate update) {
    if (update.cancelled || !selected_ || update.state.id != selected_->ref.id) return;
    news_ = merge_updates(std::move(news_), std::move(update));
}

asio::awaitable<void> Session::select(const Command& cmd) {
    // RFC 9051 6.3.2: a SELECT first leaves the mailbox selected before, even if it then fails.
    if (selected_) {
        deselect();
        out_ += "* OK [CLOSED] Previous mailbox closed.\r\n";
    }
    auto name = mailbox_name(cmd, cmd.mailbox);
    if (!name) co_return;
    if (cmd.condstore) enabled_.condstore = true;  // RFC 7162 3.1.8: SELECT (CONDSTORE) enables it
    if (cmd.qresync && !enabled_.qresync) {
        tagged(cmd, "BAD", "QRESYNC isn't enabled.");  // RFC 7162 3.2.5
        co_return;
    }
    struct Opened {
        store::Result<store::OpenedMailbox> opened{store::Error{store::Errc::io, ""}};
        std::optional<store::Subscription> watch;
        store::Result<std::vector<store::MessageInfo>> messages{store::Error{store::Errc::io, ""}};
        std::optional<store::UidRange> recent;
        store::Result<store::Changes> changes{store::Error{store::Errc::io, ""}};
    };
    const std::optional<Qresync>& q = cmd.qresync;
    auto open = [&](store::Store& s) {
        Opened o;
        o.opened = s.open_mailbox(user_, *name);
        if (!o.opened) return o;
        // Subscribe before reading (subscription.hpp): a delivery in between is reported, not missed.
        o.watch.emplace(s, o.opened->ref);
        o.messages = s.messages(o.opened->ref);
        if (!o.messages) return o;
        o.recent = o.watch->claim_recent(o.opened->info.uidnext);
        if (q && q->uidvalidity == o.opened->ref.uidvalidity) o.changes = s.changes_since(o.opened->ref, q->modseq);
        return o;
    };
    Opened o = co_await store_.run(open);
    if (!o.opened || !o.messages) {
        store_failed(cmd, o.opened ? o.messages.error() : o.opened.error());
        co_return;
    }
    auto sel = std::make_unique<Selected>();
    sel->ref = o.opened->ref;
    sel->read_only = cmd.name == Name::examine;
    if (o.watch) sel->watch.emplace(std::move(*o.watch));
    sel->keywords = o.opened->info.keywords;
    const store::MailboxInfo& info = o.opened->info;
    store::Uid uidnext = info.uidnext;
    if (!o.messages->empty()) uidnext = std::max(uidnext, o.messages->back().uid + 1);
    sel->view.open(std::move(*o.messages), info.highest_modseq, uidnext, o.recent);
    MailboxView& v = sel->view;

    append_flag_list(out_, sel->keywords);
    append_permanent(out_, sel->keywords, sel->read_only);
    out_ += "* " + std::to_string(v.exists()) + " EXISTS\r\n";
    if (!enabled_.imap4rev2) out_ += "* " + std::to_string(v.recent_count()) + " RECENT\r\n";
    if (!enabled_.imap4rev2 && v.unseen_first() != 0)
        out_ += "* OK [UNSEEN " + std::to_string(v.unseen_first()) + "] First unseen.\r\n";
    out_ += "* OK [UIDVALIDITY " + std::to_string(sel->ref.uidvalidity) + "] UIDs valid\r\n";
    out_ += "* OK [UIDNEXT " + std::to_string(v.uidnext()) + "] Predicted next UID\r\n";
    if (enabled_.imap4rev2) {
        // RFC 9051 6.3.2: the mailbox's name as LIST would give it.
        out_ += "* LIST () \"/\" ";
        append_astring(out_, client_name(sel->ref.name));
        out_ += "\r\n";
    }
    // RFC 7162 3.1.2.1: every SELECT of a mailbox that keeps MODSEQs says its HIGHESTMODSEQ.
    out_ += "* OK [HIGHESTMODSEQ " + std::to_string(v.highest_modseq()) + "] Highest\r\n";

    // RFC 7162 3.2.5.2: what the client missed since its MODSEQ, if the UIDVALIDITY it knew still holds.
    if (q && o.changes) {
        const store::Changes& c = *o.changes;
        const store::Uid top = v.uidnext() - 1;
        const auto known = uid_ranges(q->known_uids ? *q->known_uids : SequenceSet{{SeqRange{1, star}}}, top);
        std::vector<store::UidRange> vanished;
        if (c.too_old) {
            vanished = missing_from(known, v);  // the expunges that far back are no longer kept
        } else {
            for (store::Uid u : c.vanished) {  // ascending
                if (!in_ranges(known, u)) continue;
                if (!vanished.empty() && vanished.back().last + 1 == u) vanished.back().last = u;
                else vanished.push_back({u, u});
            }
        }
        if (!vanished.empty()) {
            out_ += "* VANISHED (EARLIER) ";
            append_ranges(out_, vanished);
            out_ += "\r\n";
        }
        for (const auto& ch : c.changed) {
            auto msn = v.msn_of(ch.uid);
            if (!msn) continue;
            const auto& m = v.at(*msn);
            out_ += "* " + std::to_string(*msn) + " FETCH (UID " + std::to_string(m.uid) + " FLAGS ";
            append_flags(out_, m.flags, m.recent && !enabled_.imap4rev2);
            out_ += " MODSEQ (" + std::to_string(m.modseq) + "))\r\n";
        }
    }
    selected_ = std::move(sel);
    tagged(cmd, "OK", selected_->read_only ? "[READ-ONLY] Examine completed." : "[READ-WRITE] Select completed.");
}

asio::awaitable<bool> Session::sync(bool expunges_allowed, std::optional<store::FeedUpdate> update) {
    if (!selected_) co_return true;
    Selected& sel = *selected_;
    // What the server took from the feed (IDLE), what was given, what is waiting: one update, the latest state.
    std::optional<store::FeedUpdate> got = std::exchange(news_, std::nullopt);
    if (update && !update->cancelled) got = merge_updates(std::move(got), std::move(*update));
    if (sel.watch)
        if (auto polled = sel.watch->poll(); polled && !polled->cancelled) got = merge_updates(std::move(got), std::move(*polled));
    update = std::move(got);
    if (update) {
        if (update->state.gone) {
            // The mailbox was deleted or renamed away: nothing this session
            // could do to it would land anywhere (Dovecot disconnects too).
            out_ += "* BYE The selected mailbox was deleted or renamed; have to disconnect.\r\n";
            log_.info("imap.mailbox.gone", {{"user", user_}, {"mailbox", sel.ref.name}});
            co_return false;
        }
        struct Got {
            store::Result<store::Changes> changes{store::Error{store::Errc::io, ""}};
            store::Result<std::vector<store::MessageInfo>> listing{store::Error{store::Errc::io, ""}};
            store::Result<store::MailboxInfo> info{store::Error{store::Errc::io, ""}};
        };
        const store::ModSeq since = sel.view.highest_modseq();
        auto read = [&](store::Store& s) {
            Got g;
            g.changes = s.changes_since(sel.ref, since);
            if (g.changes && g.changes->too_old) {
                g.listing = s.messages(sel.ref);
                g.info = s.mailbox(sel.ref);
            }
            if (g.changes && !g.changes->too_old && !g.changes->changed.empty()) {
                // A new keyword changes FLAGS (RFC 9051 7.3.5): look only when something changed.
                g.info = s.mailbox(sel.ref);
            }
            return g;
        };
        Got g = co_await store_.run(read);
        if (!g.changes) {
            if (g.changes.code() == store::Errc::gone) {
                out_ += "* BYE The selected mailbox was deleted or renamed; have to disconnect.\r\n";
                co_return false;
            }
            log_.error("imap.store.failed", {{"user", user_}, {"command", "sync"}, {"error", g.changes.error().message}});
        } else if (g.changes->too_old) {
            if (g.listing && g.info) sel.view.resync(std::move(*g.listing), g.info->highest_modseq, g.info->uidnext, update->recent);
        } else {
            sel.view.apply(*g.changes, update->recent);
        }
        if (g.info && g.info->keywords != sel.keywords) {
            sel.keywords = g.info->keywords;
            append_flag_list(out_, sel.keywords);
            append_permanent(out_, sel.keywords, sel.read_only);
        }
    }
    MailboxView::FlushOptions f;
    f.expunges = expunges_allowed;
    f.qresync = enabled_.qresync;
    f.condstore = enabled_.condstore;
    f.recent = !enabled_.imap4rev2;  // RFC 9051 dropped \Recent and RECENT
    sel.view.flush(out_, f);
    co_return true;
}

asio::awaitable<void> Session::close(const Command& cmd, bool expunge) {
    // RFC 9051 6.4.1: CLOSE expunges silently, and not in a read-only mailbox.
    if (expunge && !selected_->read_only) {
        auto r = co_await store_.expunge(selected_->ref, store::all_uids());
        if (!r) {
            deselect();  // closed all the same (RFC 9051 6.4.1); the client must know its \Deleted are still there
            store_failed(cmd, r.error());
            co_return;
        }
        counts_.expunged += r->size();
    }
    deselect();
    tagged(cmd, "OK", cmd.name == Name::close ? "Close completed." : "Unselect completed.");
}

asio::awaitable<void> Session::expunge(const Command& cmd) {
    Selected& sel = *selected_;
    if (sel.read_only) {
        tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
        co_return;
    }
    store::UidSet uids = store::all_uids();
    if (cmd.uid) uids = store::uid_set(sel.view.uids(resolve(cmd.set, true)));
    if (cmd.uid && uids.empty()) {
        tagged(cmd, "OK", "Expunge completed.");
        co_return;
    }
    auto r = co_await store_.expunge(sel.ref, uids);
    if (!r) {
        store_failed(cmd, r.error());
        co_return;
    }
    counts_.expunged += r->size();
    sel.view.expunged(*r);
    if (!co_await sync(true)) co_return;
    tagged(cmd, "OK", "Expunge completed.");
}

asio::awaitable<void> Session::store(const Command& cmd) {
    Selected& sel = *selected_;
    if (sel.read_only) {
        tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
        co_return;
    }
    const auto msns = resolve(cmd.set, cmd.uid);
    if (!cmd.uid && !numbers_exist(cmd.set, sel.view.exists())) {
        tagged(cmd, "BAD", "Error in IMAP command STORE: Invalid messageset.");
        co_return;
    }
    const auto uid_list = sel.view.uids(msns);
    if (uid_list.empty()) {
        tagged(cmd, "OK", "Store completed.");
        co_return;
    }
    if (cmd.unchanged_since) enabled_.condstore = true;  // RFC 7162 3.1: the modifier enables it
    store::FlagStoreResult result;
    if (cmd.unchanged_since) {
        auto r = co_await store_.store_flags(sel.ref, store::uid_set(uid_list), cmd.flag_op, cmd.flags, *cmd.unchanged_since);
        if (!r) {
            store_failed(cmd, r.error());
            co_return;
        }
        result = std::move(*r);
    } else {
        auto r = co_await store_.store_flags(sel.ref, store::uid_set(uid_list), cmd.flag_op, cmd.flags);
        if (!r) {
            store_failed(cmd, r.error());
            co_return;
        }
        result.changes = std::move(*r);
    }
    sel.view.flags_stored(result.changes);
    counts_.stored += result.changes.size();
    // A keyword new to the mailbox changes FLAGS (RFC 9051 7.3.5): said before the FETCH responses that use it.
    bool new_keyword = false;
    for (const auto& k : cmd.flags.keywords) {
        if (cmd.flag_op == store::FlagOp::remove || std::binary_search(sel.keywords.begin(), sel.keywords.end(), k)) continue;
        sel.keywords.insert(std::upper_bound(sel.keywords.begin(), sel.keywords.end(), k), k);
        new_keyword = true;
    }
    if (new_keyword && !result.changes.empty()) {
        append_flag_list(out_, sel.keywords);
        append_permanent(out_, sel.keywords, sel.read_only);
    }
    for (const auto& ch : result.changes) {
        // RFC 7162 3.1.3: with CONDSTORE a changed message is reported even after .SILENT, for its MODSEQ.
        if (cmd.silent && !(enabled_.condstore && ch.changed)) continue;
        auto msn = sel.view.msn_of(ch.uid);
        if (!msn) continue;
        out_ += "* " + std::to_string(*msn) + " FETCH (";
        if (cmd.uid) out_ += "UID " + std::to_string(ch.uid) + " ";
        if (!cmd.silent) {
            out_ += "FLAGS ";
            append_flags(out_, ch.flags, sel.view.at(*msn).recent && !enabled_.imap4rev2);
        }
        if (enabled_.condstore) out_ += std::string(cmd.silent ? "" : " ") + "MODSEQ (" + std::to_string(ch.modseq) + ")";
        out_ += ")\r\n";
    }
    if (!result.modified.empty()) {
        std::vector<std::uint32_t> modified;
        for (store::Uid u : result.modified) {
            if (cmd.uid) modified.push_back(u);
            else if (auto msn = sel.view.msn_of(u)) modified.push_back(*msn);
        }
        std::sort(modified.begin(), modified.end());
        std::string set;
        append_sequence(set, modified);
        tagged(cmd, "OK", "[MODIFIED " + set + "] Conditional store failed.");
        co_return;
    }
    tagged(cmd, "OK", "Store completed.");
}

asio::awaitable<void> Session::copy(const Command& cmd, bool move) {
    Selected& sel = *selected_;
    if (move && sel.read_only) {
        tagged(cmd, "NO", "[READ-ONLY] Mailbox is read-only.");
        co_return;
    }
    auto target = mailbox_name(cmd, cmd.mailbox);
    if (!target) co_return;
    const auto msns = resolve(cmd.set, cmd.uid);
    if (!cmd.uid && !numbers_exist(cmd.set, sel.view.exists())) {
        tagged(cmd, "BAD", "Error in IMAP command " + command_name(cmd) + ": Invalid messageset.");
        co_return;
    }
    const auto uid_list = sel.view.uids(msns);
    if (uid_list.empty()) {
        tagged(cmd, "OK", move ? "No messages moved." : "No messages copied.");
        co_return;
    }
    // Two statements, not a conditional with a co_await in each arm: g++ 12 miscompiles that.
    store::Result<store::CopyResult> r{store::Error{store::Errc::io, ""}};
    if (move) r = co_await store_.move(sel.ref, store::uid_set(uid_list), *target);
    else r = co_await store_.copy(sel.ref, store::uid_set(uid_list), *target);
    if (!r) {
        if (r.code() == store::Errc::not_found) tagged(cmd, "NO", "[TRYCREATE] Mailbox doesn't exist.");
        else store_failed(cmd, r.error());
        co_return;
    }
    std::string code;
    if (!r->source.empty()) {
        code = "COPYUID " + std::to_string(r->uidvalidity) + " ";
        append_sequence(code, r->source);
        code += ' ';
        // COPYUID's target set pairs with the source set in order (RFC 4315 section 3): as ranges only when ascending.
        bool ascending = std::is_sorted(r->target.begin(), r->target.end());
        if (ascending) append_sequence(code, r->target);
        else
            for (std::size_t i = 0; i < r->target.size(); ++i) code += (i ? "," : "") + std::to_string(r->target[i]);
    }
    if (move) {
        // RFC 6851 section 4.3: COPYUID in an untagged OK before the expunges.
        if (!code.empty()) out_ += "* OK [" + code + "] Moved UIDs.\r\n";
        sel.view.expunged(r->source);
        counts_.expunged += r->source.size();
        if (!co_await sync(true)) co_return;
        tagged(cmd, "OK", "Move completed.");
    } else {
        tagged(cmd, "OK", (code.empty() ? std::string() : "[" + code + "] ") + "Copy completed.");
    }
}

}  // namespace mxlab::imap
