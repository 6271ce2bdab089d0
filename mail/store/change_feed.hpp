// The change feed: after each group commit the writer publishes the new state of every mailbox the group changed, and sessions watching a mailbox are woken; \Recent is handed out here.
//
// Design. A session (IMAP SELECT/IDLE; any watcher) attaches a Subscriber to
// one mailbox id. The writer thread calls publish() once per committed
// group, after the sync and before the writes are acknowledged, with the
// last state of each mailbox the group saved (user, id, HIGHESTMODSEQ,
// UIDNEXT, message count; `gone` after a RENAME away or DELETE). Nobody
// polls the store.
//
// Coalesced and bounded: a mailbox's channel keeps only its latest state and
// a version number; a subscriber keeps the version it last saw and at most
// one armed callback. A slow subscriber that misses ten publishes sees one
// update with the latest state, never a queue: memory is O(1) per subscriber
// and per watched mailbox, whatever the delivery rate. A mailbox nobody
// watches costs a hash lookup per publish.
//
// \Recent (RFC 3501 2.3.2): per mailbox, the feed remembers up to which UID
// it has handed out \Recent. The first session to learn of new UIDs (by an
// update, or by claim_recent() when it opens the mailbox) gets them as
// recent, and no other session does. In memory only: after a restart the
// first session to open a mailbox finds every message recent (Dovecot does
// the same when its index is lost; IMAP4rev2 drops \Recent).
//
// Thread-safety: one mutex guards everything; publish() runs on the writer
// thread, the rest on any thread. A Subscriber is used by one session at a
// time (one armed callback). Callbacks run outside the lock and must be
// quick: Subscription (subscription.hpp) posts them to the session's executor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mail/store/types.hpp"

namespace mxlab::store {

struct FeedUpdate {
    MailboxState state;               // the latest state published for the mailbox
    std::optional<UidRange> recent;   // UIDs this subscriber is the first to learn of: \Recent for it alone
    bool cancelled = false;           // the wait ended without news (cancel(), or the subscription went away)
};

class ChangeFeed {
public:
    struct Subscriber;
    using Waiter = std::function<void(FeedUpdate)>;

    ChangeFeed() = default;
    ChangeFeed(const ChangeFeed&) = delete;
    ChangeFeed& operator=(const ChangeFeed&) = delete;

    // Watch mailbox `id`; only publishes after this call count as news.
    std::shared_ptr<Subscriber> attach(MailboxId id);
    // Stops watching; a wait still armed completes as cancelled. The channel
    // goes with its last subscriber.
    void detach(const std::shared_ptr<Subscriber>& sub);
    // Calls `done` once: at once when a publish came since the subscriber's
    // last update, else at the next one, or as cancelled by cancel()/detach().
    // One armed wait per subscriber: arming a second cancels the first.
    void arm(Subscriber& sub, Waiter done);
    void cancel(Subscriber& sub);
    // Without waiting: the update arm() would give at once, if a publish
    // came since the subscriber's last one (an IMAP session checks between
    // commands). Not while a wait is armed.
    std::optional<FeedUpdate> poll(Subscriber& sub);
    // At SELECT: the UIDs below `uidnext` that no session has had as \Recent yet become this one's.
    std::optional<UidRange> claim_recent(Subscriber& sub, Uid uidnext);

    // The writer thread, after each synced group: the states it saved, in order (later ones win).
    void publish(std::vector<MailboxState> states);

    std::size_t channels() const;     // mailboxes watched now (tests: no leak)
    std::size_t subscribers() const;

private:
    struct Channel;
    std::optional<UidRange> take_recent(MailboxId id, Uid uidnext);  // under mutex_

    mutable std::mutex mutex_;
    std::unordered_map<MailboxId, std::shared_ptr<Channel>> channels_;
    std::unordered_map<MailboxId, Uid> recent_upto_;  // \Recent handed out up to this UID
};

}  // namespace mxlab::store
