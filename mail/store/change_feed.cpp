// The change feed's channels, coalescing and \Recent (design in change_feed.hpp).
#include "mail/store/change_feed.hpp"

#include <algorithm>

namespace mxlab::store {

struct ChangeFeed::Subscriber {
    MailboxId id = 0;
    std::uint64_t seen = 0;  // the channel version of the last update it had
    Waiter waiter;           // armed wait, if any
    std::shared_ptr<Channel> channel;
};

struct ChangeFeed::Channel {
    std::optional<MailboxState> latest;
    std::uint64_t version = 0;
    std::vector<Subscriber*> subscribers;  // each removed by detach() before it dies
};

std::shared_ptr<ChangeFeed::Subscriber> ChangeFeed::attach(MailboxId id) {
    auto sub = std::make_shared<Subscriber>();
    sub->id = id;
    std::lock_guard lock(mutex_);
    auto& ch = channels_[id];
    if (!ch) ch = std::make_shared<Channel>();
    ch->subscribers.push_back(sub.get());
    sub->seen = ch->version;
    sub->channel = ch;
    return sub;
}

void ChangeFeed::detach(const std::shared_ptr<Subscriber>& sub) {
    if (!sub) return;
    Waiter waiter;
    {
        std::lock_guard lock(mutex_);
        waiter = std::move(sub->waiter);
        sub->waiter = nullptr;
        if (auto ch = std::move(sub->channel)) {
            std::erase(ch->subscribers, sub.get());
            if (ch->subscribers.empty()) {
                auto it = channels_.find(sub->id);
                if (it != channels_.end() && it->second == ch) channels_.erase(it);
            }
        }
    }
    if (waiter) waiter(FeedUpdate{{}, std::nullopt, true});
}

std::optional<UidRange> ChangeFeed::take_recent(MailboxId id, Uid uidnext) {
    if (uidnext <= 1) return std::nullopt;
    Uid& upto = recent_upto_[id];
    if (uidnext - 1 <= upto) return std::nullopt;
    UidRange r{upto + 1, uidnext - 1};
    upto = uidnext - 1;
    return r;
}

void ChangeFeed::arm(Subscriber& sub, Waiter done) {
    Waiter previous;
    std::optional<FeedUpdate> now;
    {
        std::lock_guard lock(mutex_);
        previous = std::move(sub.waiter);
        sub.waiter = nullptr;
        auto& ch = sub.channel;
        if (ch && ch->latest && sub.seen < ch->version) {
            sub.seen = ch->version;
            now = FeedUpdate{*ch->latest, ch->latest->gone ? std::nullopt : take_recent(sub.id, ch->latest->uidnext)};
        } else if (ch) {
            sub.waiter = std::move(done);
        } else {
            now = FeedUpdate{{}, std::nullopt, true};  // detached
        }
    }
    if (previous) previous(FeedUpdate{{}, std::nullopt, true});
    if (now) done(std::move(*now));
}

void ChangeFeed::cancel(Subscriber& sub) {
    Waiter waiter;
    {
        std::lock_guard lock(mutex_);
        waiter = std::move(sub.waiter);
        sub.waiter = nullptr;
    }
    if (waiter) waiter(FeedUpdate{{}, std::nullopt, true});
}

std::optional<FeedUpdate> ChangeFeed::poll(Subscriber& sub) {
    std::lock_guard lock(mutex_);
    auto& ch = sub.channel;
    if (!ch) return FeedUpdate{{}, std::nullopt, true};
    if (!ch->latest || sub.seen >= ch->version) return std::nullopt;
    sub.seen = ch->version;
    return FeedUpdate{*ch->latest, ch->latest->gone ? std::nullopt : take_recent(sub.id, ch->latest->uidnext)};
}

std::optional<UidRange> ChangeFeed::claim_recent(Subscriber& sub, Uid uidnext) {
    std::lock_guard lock(mutex_);
    return take_recent(sub.id, uidnext);
}

void ChangeFeed::publish(std::vector<MailboxState> states) {
    std::vector<std::pair<Waiter, FeedUpdate>> wake;
    {
        std::lock_guard lock(mutex_);
        std::vector<Channel*> touched;
        for (auto& s : states) {
            if (s.gone) recent_upto_.erase(s.id);
            auto it = channels_.find(s.id);
            if (it == channels_.end()) continue;
            Channel& ch = *it->second;
            const bool seen_here = std::find(touched.begin(), touched.end(), &ch) != touched.end();
            // Gone earlier in this group stays gone: a session's ref broke even if the id was written again after.
            const bool gone = s.gone || (seen_here && ch.latest->gone);
            ch.latest = std::move(s);
            ch.latest->gone = gone;
            ++ch.version;
            if (!seen_here) touched.push_back(&ch);
        }
        for (Channel* ch : touched) {
            for (Subscriber* sub : ch->subscribers) {
                if (!sub->waiter) continue;  // it sees the latest state when it next waits
                sub->seen = ch->version;
                auto recent = ch->latest->gone ? std::nullopt : take_recent(sub->id, ch->latest->uidnext);
                wake.emplace_back(std::move(sub->waiter), FeedUpdate{*ch->latest, recent});
                sub->waiter = nullptr;
            }
        }
    }
    for (auto& [waiter, update] : wake) waiter(std::move(update));
}

std::size_t ChangeFeed::channels() const {
    std::lock_guard lock(mutex_);
    return channels_.size();
}

std::size_t ChangeFeed::subscribers() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [id, ch] : channels_) n += ch->subscribers.size();
    return n;
}

}  // namespace mxlab::store
