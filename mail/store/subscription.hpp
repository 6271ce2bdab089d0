// A session's watch on one mailbox's changes, for Asio coroutines: co_await wait() until the store commits a change to it (change_feed.hpp).
//
//   store::Subscription watch(async.sync(), opened.ref);   // subscribe first,
//   auto recent = watch.claim_recent(opened.info.uidnext);   // then read the mailbox
//   for (;;) {
//       auto u = co_await watch.wait();   // resumes on this coroutine's executor
//       if (u.cancelled) break;           // cancel() from the session, or the subscription ended
//       ... u.state.uidnext, u.state.highest_modseq, u.recent ...
//   }
//
// Subscribe before reading the mailbox: a commit between the read and the
// subscribe would otherwise go unnoticed; one after both is reported even if
// the read already saw it (harmless: the state only grows). One wait at a
// time. cancel() (e.g. when IDLE ends with DONE) completes a pending wait
// with `cancelled`; so does destroying the Subscription, which also
// unsubscribes. A pending wait holds its executor's work, as any Asio
// operation does: cancel it before stopping. Must not outlive the Store.
#pragma once

#include <memory>
#include <utility>

#include "core/asio.hpp"
#include "mail/store/change_feed.hpp"
#include "mail/store/store.hpp"

namespace mxlab::store {

class Subscription {
public:
    Subscription(Store& store, const MailboxRef& mailbox) : feed_(&store.feed()), sub_(feed_->attach(mailbox.id)) {}
    ~Subscription() {
        if (feed_) feed_->detach(sub_);
    }
    Subscription(Subscription&& o) noexcept : feed_(std::exchange(o.feed_, nullptr)), sub_(std::move(o.sub_)) {}
    Subscription& operator=(Subscription&&) = delete;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    asio::awaitable<FeedUpdate> wait() {
        // Plain code, not a coroutine (the g++ 12 note in async_store.hpp).
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(FeedUpdate)>(
            [this](auto handler) {
                auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                feed_->arm(*sub_, [h, ex](FeedUpdate u) {
                    asio::post(ex, [h, u = std::move(u)]() mutable { (*h)(std::move(u)); });
                });
            },
            asio::use_awaitable);
    }
    void cancel() { feed_->cancel(*sub_); }
    // wait() without a coroutine: `done` runs once, on the writer's thread
    // (or at once, on this one, if news is waiting) and must only post.
    void notify(ChangeFeed::Waiter done) { feed_->arm(*sub_, std::move(done)); }
    // The news since the last update, without waiting (change_feed.hpp).
    std::optional<FeedUpdate> poll() { return feed_->poll(*sub_); }
    std::optional<UidRange> claim_recent(Uid uidnext) { return feed_->claim_recent(*sub_, uidnext); }

private:
    ChangeFeed* feed_;
    std::shared_ptr<ChangeFeed::Subscriber> sub_;
};

}  // namespace mxlab::store
