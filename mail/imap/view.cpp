// The selected mailbox as one IMAP session has told its client about it; see view.hpp.
//
// Costs: apply(), flags_stored() and expunged() are O(k log n) for k
// changes (a binary search per UID; the messages not yet announced are only
// touched when one of them vanished). flush() is O(f log n) for f flag
// changes, plus one O(n) pass when it sends expunges: renumbering is what
// an expunge is, and one pass serves all the expunges of that flush.
// Memory is the message vector plus flag_news_, which is kept below 2n.
#include "mail/imap/view.hpp"

#include <algorithm>
#include <utility>

#include "mail/imap/format.hpp"

namespace mxlab::imap {
namespace {

using Message = MailboxView::Message;

bool uid_below(const Message& m, store::Uid uid) { return m.uid < uid; }

// Binary searches need ascending UIDs; the store lists them so, but a wrong
// order must not make msn_of() lie.
void sort_by_uid(std::vector<store::MessageInfo>& messages) {
    auto by_uid = [](const store::MessageInfo& a, const store::MessageInfo& b) { return a.uid < b.uid; };
    if (!std::is_sorted(messages.begin(), messages.end(), by_uid)) std::sort(messages.begin(), messages.end(), by_uid);
}

bool in_range(const std::optional<store::UidRange>& range, store::Uid uid) {
    return range && uid >= range->first && uid <= range->last;
}

// Inclusive spans merged before they are expanded: a hostile "1:*,1:*,..."
// costs its number of ranges, not ranges times messages.
std::vector<std::uint32_t> expand(std::vector<std::pair<std::uint32_t, std::uint32_t>> spans) {
    std::sort(spans.begin(), spans.end());
    std::vector<std::uint32_t> out;
    std::uint32_t next = 0;  // the first number not yet written; numbers start at 1
    for (auto [lo, hi] : spans) {
        lo = std::max(lo, next);
        for (std::uint32_t n = lo; n <= hi && n != 0; ++n) out.push_back(n);
        if (hi >= lo) next = hi + 1;
    }
    return out;
}

void append_number_line(std::string& out, std::uint32_t n, std::string_view what) {
    out += "* ";
    out += std::to_string(n);
    out += ' ';
    out += what;
    out += "\r\n";
}

}  // namespace

std::vector<MailboxView::Message>::iterator MailboxView::find(store::Uid uid) {
    auto it = std::lower_bound(messages_.begin(), messages_.end(), uid, uid_below);
    return it != messages_.end() && it->uid == uid ? it : messages_.end();
}

void MailboxView::open(std::vector<store::MessageInfo> messages, store::ModSeq highest_modseq, store::Uid uidnext,
                       std::optional<store::UidRange> recent) {
    sort_by_uid(messages);
    messages_.clear();
    messages_.reserve(messages.size());
    for (auto& m : messages) {
        if (!messages_.empty() && messages_.back().uid == m.uid) continue;
        messages_.push_back(Message{m.uid, std::move(m.flags), m.modseq, false, false});
    }
    flag_news_.clear();
    pending_expunges_ = 0;
    recent_ = 0;
    recent_range_ = recent;
    if (recent) mark_recent(*recent);
    told_exists_ = static_cast<std::uint32_t>(messages_.size());
    told_recent_ = recent_;
    highest_modseq_ = highest_modseq;
    uidnext_ = uidnext;
}

std::uint32_t MailboxView::exists() const { return told_exists_; }

std::uint32_t MailboxView::recent_count() const {
    std::uint32_t unannounced = 0;
    for (Index i = told_exists_; i < messages_.size(); ++i) unannounced += messages_[i].recent ? 1 : 0;
    return recent_ - unannounced;
}

std::uint32_t MailboxView::unseen_first() const {
    for (Index i = 0; i < told_exists_; ++i)
        if (!messages_[i].flags.has(store::flag_seen)) return static_cast<std::uint32_t>(i + 1);
    return 0;
}

store::Uid MailboxView::uidnext() const { return uidnext_; }
store::ModSeq MailboxView::highest_modseq() const { return highest_modseq_; }
const MailboxView::Message& MailboxView::at(std::uint32_t msn) const { return messages_.at(msn - 1); }

std::optional<std::uint32_t> MailboxView::msn_of(store::Uid uid) const {
    auto it = std::lower_bound(messages_.begin(), messages_.begin() + told_exists_, uid, uid_below);
    if (it == messages_.begin() + told_exists_ || it->uid != uid) return std::nullopt;
    return static_cast<std::uint32_t>(it - messages_.begin() + 1);
}

store::Uid MailboxView::last_uid() const { return told_exists_ == 0 ? 0 : messages_[told_exists_ - 1].uid; }

std::vector<std::uint32_t> MailboxView::resolve(const SequenceSet& set, bool uid) const {
    // Only what the client knows: a message the view has not announced has
    // no number for it yet. "$" (set.saved, RFC 5182) is the session's: it
    // keeps the last SEARCH result; its empty ranges name nothing here.
    const auto known_begin = messages_.begin();
    const auto known_end = messages_.begin() + told_exists_;
    const std::uint32_t top = uid ? last_uid() : told_exists_;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
    spans.reserve(set.ranges.size());
    for (const auto& r : set.ranges) {
        std::uint32_t a = r.first == star ? top : r.first;
        std::uint32_t b = r.last == star ? top : r.last;
        if (a > b) std::swap(a, b);  // "4:2" is 2:4 (RFC 9051 section 9, seq-range)
        if (!uid) {
            if (a > told_exists_) continue;
            spans.emplace_back(std::max<std::uint32_t>(a, 1), std::min(b, told_exists_));
            continue;
        }
        auto lo = std::lower_bound(known_begin, known_end, a, uid_below);
        auto hi = std::upper_bound(known_begin, known_end, b, [](store::Uid u, const Message& m) { return u < m.uid; });
        if (lo < hi) {
            spans.emplace_back(static_cast<std::uint32_t>(lo - known_begin + 1),
                               static_cast<std::uint32_t>(hi - known_begin));
        }
    }
    return expand(std::move(spans));
}

std::vector<store::Uid> MailboxView::uids(const std::vector<std::uint32_t>& msns) const {
    std::vector<store::Uid> out;
    out.reserve(msns.size());
    for (auto msn : msns)
        if (msn >= 1 && msn <= told_exists_) out.push_back(messages_[msn - 1].uid);
    return out;
}

// A flag change seen in the store. Equal flags are the session's own STORE
// coming back (or a change undone since): nothing to tell. A pending
// expunge is not reported on (the client is about to lose the message), and
// a message not announced yet gets its flags with the client's own FETCH.
void MailboxView::refresh(Index i, const store::Flags& flags, store::ModSeq modseq) {
    Message& m = messages_[i];
    if (m.expunged || modseq < m.modseq) return;  // older than what the view has: a stale listing
    m.modseq = modseq;
    if (m.flags == flags) return;
    m.flags = flags;
    if (i < told_exists_) note_flag_news(m.uid);
}

void MailboxView::note_flag_news(store::Uid uid) {
    flag_news_.push_back(uid);
    // Many applies between flushes (a long command) repeat UIDs: keep it O(n).
    if (flag_news_.size() > 2 * messages_.size() + 64) {
        std::sort(flag_news_.begin(), flag_news_.end());
        flag_news_.erase(std::unique(flag_news_.begin(), flag_news_.end()), flag_news_.end());
    }
}

bool MailboxView::vanish(Index i) {
    Message& m = messages_[i];
    if (m.expunged) return false;
    m.expunged = true;
    if (i >= told_exists_) return true;  // never announced, so never to be (RFC 9051 7.4.1 needs a known number)
    ++pending_expunges_;
    return false;
}

void MailboxView::drop_unannounced() {
    auto first = messages_.begin() + told_exists_;
    auto kept = std::remove_if(first, messages_.end(), [this](const Message& m) {
        if (m.expunged && m.recent) --recent_;
        return m.expunged;
    });
    messages_.erase(kept, messages_.end());
}

void MailboxView::append_new(store::Uid uid, const store::Flags& flags, store::ModSeq modseq) {
    const bool recent = in_range(recent_range_, uid);
    messages_.push_back(Message{uid, flags, modseq, recent, false});
    if (recent) ++recent_;
}

void MailboxView::mark_recent(store::UidRange range) {
    auto it = std::lower_bound(messages_.begin(), messages_.end(), range.first, uid_below);
    for (; it != messages_.end() && it->uid <= range.last; ++it) {
        if (it->recent) continue;
        it->recent = true;
        ++recent_;
    }
}

void MailboxView::apply(const store::Changes& changes, std::optional<store::UidRange> recent) {
    if (recent) recent_range_ = recent;
    // New messages take the numbers after the last one (RFC 9051 7.4.1: the
    // order of UIDs is the order of numbers); one already gone again goes
    // with the vanished below, before anyone was told of it.
    std::vector<const store::FlagChange*> fresh;
    const store::Uid last = messages_.empty() ? 0 : messages_.back().uid;
    for (const auto& c : changes.changed) {
        if (c.uid > last) {
            fresh.push_back(&c);
            continue;
        }
        auto it = find(c.uid);
        if (it != messages_.end()) refresh(static_cast<Index>(it - messages_.begin()), c.flags, c.modseq);
        // else: expunged and already told; the store only lists it from a stale listing
    }
    std::sort(fresh.begin(), fresh.end(), [](auto* a, auto* b) { return a->uid < b->uid; });
    for (const auto* c : fresh)
        if (messages_.empty() || c->uid > messages_.back().uid) append_new(c->uid, c->flags, c->modseq);

    bool drop = false;
    for (auto uid : changes.vanished) {
        auto it = find(uid);
        if (it != messages_.end()) drop |= vanish(static_cast<Index>(it - messages_.begin()));
        // else: never had it, or already told the client it went
    }
    if (drop) drop_unannounced();
    if (recent) mark_recent(*recent);
    highest_modseq_ = std::max(highest_modseq_, changes.highest_modseq);
    uidnext_ = std::max(uidnext_, changes.uidnext);
}

void MailboxView::resync(std::vector<store::MessageInfo> messages, store::ModSeq highest_modseq, store::Uid uidnext,
                         std::optional<store::UidRange> recent) {
    if (recent) recent_range_ = recent;
    sort_by_uid(messages);

    // One merge walk: the view's messages missing from the listing vanished,
    // the ones in both may have new flags, the listing's beyond the view's
    // last UID are new.
    const Index had = messages_.size();
    Index j = 0;
    bool drop = false;
    for (Index i = 0; i < had; ++i) {
        const store::Uid uid = messages_[i].uid;
        while (j < messages.size() && messages[j].uid < uid) ++j;
        if (j < messages.size() && messages[j].uid == uid) refresh(i, messages[j].flags, messages[j].modseq);
        else drop |= vanish(i);
    }
    const store::Uid last = had == 0 ? 0 : messages_[had - 1].uid;
    for (; j < messages.size(); ++j)
        if (messages[j].uid > last && (messages_.empty() || messages[j].uid > messages_.back().uid))
            append_new(messages[j].uid, messages[j].flags, messages[j].modseq);
    if (drop) drop_unannounced();
    if (recent) mark_recent(*recent);
    highest_modseq_ = std::max(highest_modseq_, highest_modseq);
    uidnext_ = std::max(uidnext_, uidnext);
}

void MailboxView::flags_stored(const std::vector<store::FlagChange>& changes) {
    for (const auto& c : changes) {
        auto it = find(c.uid);
        if (it == messages_.end() || it->expunged || c.modseq < it->modseq) continue;
        it->flags = c.flags;
        it->modseq = c.modseq;
    }
}

void MailboxView::expunged(const std::vector<store::Uid>& uids) {
    bool drop = false;
    for (auto uid : uids) {
        auto it = find(uid);
        if (it != messages_.end()) drop |= vanish(static_cast<Index>(it - messages_.begin()));
    }
    if (drop) drop_unannounced();
}

bool MailboxView::flush(std::string& out, const FlushOptions& options) {
    const auto start = out.size();

    // Flag changes first, while the numbers are still the client's
    // (Dovecot's form: UID always, so a client can match it without a
    // sequence-to-UID map; MODSEQ per RFC 7162 3.1.4 once CONDSTORE is on).
    if (!flag_news_.empty()) {
        std::sort(flag_news_.begin(), flag_news_.end());
        flag_news_.erase(std::unique(flag_news_.begin(), flag_news_.end()), flag_news_.end());
        for (auto uid : flag_news_) {
            auto it = find(uid);
            if (it == messages_.end() || it->expunged) continue;  // only announced ones are noted
            const auto msn = static_cast<std::uint32_t>(it - messages_.begin() + 1);
            out += "* ";
            out += std::to_string(msn);
            out += " FETCH (UID ";
            out += std::to_string(uid);
            out += " FLAGS ";
            append_flags(out, it->flags, options.recent && it->recent);
            if (options.condstore) {
                out += " MODSEQ (";
                out += std::to_string(it->modseq);
                out += ')';
            }
            out += ")\r\n";
        }
        flag_news_.clear();
    }

    // Expunges, in descending number order: removing a message renumbers
    // only the ones after it, so each line's number is still right when the
    // client reaches it, and every line names the number the client's list
    // had at the start of the flush (Dovecot sends them this way too). With
    // QRESYNC one VANISHED names them all by UID (RFC 7162 3.2.10).
    if (options.expunges && pending_expunges_ > 0) {
        std::vector<std::uint32_t> gone;  // msns, or UIDs for VANISHED; ascending either way
        gone.reserve(pending_expunges_);
        Index kept = 0;
        for (Index i = 0; i < messages_.size(); ++i) {
            Message& m = messages_[i];
            if (m.expunged) {
                gone.push_back(options.qresync ? m.uid : static_cast<std::uint32_t>(i + 1));
                if (m.recent) --recent_;
                continue;
            }
            if (kept != i) messages_[kept] = std::move(m);
            ++kept;
        }
        messages_.resize(kept);
        if (options.qresync) {
            out += "* VANISHED ";
            append_sequence(out, gone);
            out += "\r\n";
        } else {
            for (auto msn = gone.rbegin(); msn != gone.rend(); ++msn) append_number_line(out, *msn, "EXPUNGE");
        }
        told_exists_ -= static_cast<std::uint32_t>(gone.size());
        pending_expunges_ = 0;
    }

    // EXPUNGE and VANISHED lowered the client's count already (RFC 9051
    // 7.5.1); this says only what arrived.
    if (messages_.size() != told_exists_) {
        told_exists_ = static_cast<std::uint32_t>(messages_.size());
        append_number_line(out, told_exists_, "EXISTS");
    }
    if (recent_ != told_recent_) {
        told_recent_ = recent_;
        if (options.recent) append_number_line(out, told_recent_, "RECENT");
    }
    return out.size() != start;
}

std::size_t MailboxView::pending_expunges() const { return pending_expunges_; }

}  // namespace mxlab::imap
