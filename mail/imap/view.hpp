// The selected mailbox as one IMAP session has told its client about it: message sequence numbers, UIDs, flags and MODSEQs, and the untagged responses it still owes (RFC 9051 sections 7.4, 7.5.1; RFC 3501 section 7.4.1; RFC 7162 sections 3.1.4, 3.2.10).
//
// Pure. The session fills it at SELECT, hands it what the store says changed
// (after the change feed told it something did), and calls flush() when a
// command may send untagged responses. Sequence numbers only change in
// flush(): a message expunged by someone else keeps its number (and its
// cached data) until the client is told, and the client is told only when
// the command allows it (no EXPUNGE during FETCH, STORE or SEARCH, RFC 9051
// section 7.5.1; the UID forms allow it). New messages get the numbers after
// the last one the client knows, so an EXISTS is always safe to send.
//
// Idempotent on purpose: the session's own changes (STORE, EXPUNGE, MOVE)
// come back from the store in the next changes_since(); a flag change equal
// to what the view already has, or an expunge of a UID it no longer holds,
// produces nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mail/imap/command.hpp"
#include "mail/store/types.hpp"

namespace mxlab::imap {

class MailboxView {
public:
    struct Message {
        store::Uid uid = 0;
        store::Flags flags;
        store::ModSeq modseq = 0;
        bool recent = false;
        bool expunged = false;  // gone from the store; the client is not told yet
    };

    // At SELECT: the mailbox's messages (ascending UIDs), its state, and the
    // \Recent UIDs this session was the first to see (change_feed.hpp).
    void open(std::vector<store::MessageInfo> messages, store::ModSeq highest_modseq, store::Uid uidnext,
              std::optional<store::UidRange> recent);

    // Numbers exist for what the client was told of: exists(), at(),
    // msn_of(), last_uid() and resolve() leave out the messages apply() added
    // since the last flush() (flush first, EXISTS is always allowed, to let a
    // command see new mail).
    std::uint32_t exists() const;        // the count the client knows (pending expunges included)
    std::uint32_t recent_count() const;
    std::uint32_t unseen_first() const;  // msn of the first message without \Seen, 0 if none (SELECT's UNSEEN)
    store::Uid uidnext() const;
    store::ModSeq highest_modseq() const;  // as far as the view has applied changes
    const Message& at(std::uint32_t msn) const;  // 1-based, msn <= exists()
    std::optional<std::uint32_t> msn_of(store::Uid uid) const;  // binary search
    store::Uid last_uid() const;  // 0 when empty

    // The message numbers a set names, ascending and unique, pending
    // expunges included (their data is cached; the session decides what to
    // answer for them). Sequence numbers: "*" is exists(), numbers past it
    // are left out (the session says BAD for a set naming none when the
    // mailbox is not empty, per RFC 9051 6.4.5). UIDs: "*" is the last UID,
    // and a range covers the UIDs the view has inside it ("5:*" with a last
    // UID of 3 is 3:5, RFC 9051 section 9).
    std::vector<std::uint32_t> resolve(const SequenceSet& set, bool uid) const;
    std::vector<store::Uid> uids(const std::vector<std::uint32_t>& msns) const;

    // What changes_since(highest_modseq()) returned, and the \Recent UIDs the
    // feed gave this session with the news.
    void apply(const store::Changes& changes, std::optional<store::UidRange> recent);
    // Changes::too_old: a full listing instead; the view diffs it.
    void resync(std::vector<store::MessageInfo> messages, store::ModSeq highest_modseq, store::Uid uidnext,
                std::optional<store::UidRange> recent);
    // The session's own STORE as the store returned it: the cache follows, nothing is owed.
    void flags_stored(const std::vector<store::FlagChange>& changes);
    // The session's own EXPUNGE or MOVE: those UIDs are owed as expunged.
    void expunged(const std::vector<store::Uid>& uids);

    struct FlushOptions {
        bool expunges = true;  // false during FETCH, STORE, SEARCH (not their UID forms)
        bool qresync = false;  // VANISHED instead of EXPUNGE (RFC 7162 3.2.10), once QRESYNC is enabled
        bool condstore = false;  // FETCH responses carry MODSEQ (once CONDSTORE is enabled)
        bool recent = true;  // RECENT and \Recent in FLAGS; false once IMAP4rev2 is enabled (RFC 9051 dropped both)
    };
    // Appends what the client is owed, in an order that keeps numbers right:
    // "* n FETCH (UID u FLAGS (...) [MODSEQ (m)])" for flag changes made by
    // others, then "* n EXPUNGE" (descending n, view.cpp says why; or one
    // "* VANISHED uids"), then "* n EXISTS"
    // and "* n RECENT" when they changed. Returns whether it wrote anything.
    bool flush(std::string& out, const FlushOptions& options);

    // The expunges owed but not yet sent (tests; the session's NO for a FETCH of one).
    std::size_t pending_expunges() const;

private:
    using Index = std::vector<Message>::size_type;
    std::vector<Message>::iterator find(store::Uid uid);
    void refresh(Index i, const store::Flags& flags, store::ModSeq modseq);  // a change from the store
    bool vanish(Index i);  // true when the message was never announced: drop_unannounced() removes it
    void drop_unannounced();
    void append_new(store::Uid uid, const store::Flags& flags, store::ModSeq modseq);
    void mark_recent(store::UidRange range);
    void note_flag_news(store::Uid uid);

    // By msn - 1, ascending UID. The first told_exists_ are what the client
    // knows; the rest arrived since the last flush() and are not announced
    // (they are never marked expunged: a vanished one just goes).
    std::vector<Message> messages_;
    std::vector<store::Uid> flag_news_;  // UIDs whose flags changed by others, not yet reported (may repeat)
    std::uint32_t told_exists_ = 0;
    std::uint32_t told_recent_ = 0;
    std::uint32_t recent_ = 0;  // messages_ with `recent`
    std::uint32_t pending_expunges_ = 0;
    store::ModSeq highest_modseq_ = 0;
    store::Uid uidnext_ = 1;
    // The feed's last \Recent range for this session: a message of it that
    // the view learns of only later (changes_since ran before the delivery
    // was visible) is still recent. UIDs grow, so earlier ranges cannot matter.
    std::optional<store::UidRange> recent_range_;
};

}  // namespace mxlab::imap
