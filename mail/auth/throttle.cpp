// Failed-login throttling: a table of client addresses (IPv6 per /64) with their failures, oldest first.
#include "mail/auth/throttle.hpp"

#include <algorithm>
#include <climits>
#include <functional>
#include <iterator>

namespace mxlab::auth {

LoginThrottle::LoginThrottle(Policy policy) : policy_(policy) {}

std::size_t LoginThrottle::KeyHash::operator()(const Key& k) const noexcept {
    return std::hash<std::uint64_t>{}(k.v6 ? ~k.bits : k.bits);
}

LoginThrottle::Key LoginThrottle::key(const config::IpAddr& client) {
    const auto& b = client.bytes;
    auto be = [&](std::size_t from, std::size_t n) {
        std::uint64_t v = 0;
        for (std::size_t i = from; i < from + n; ++i) v = v << 8 | b[i];
        return v;
    };
    // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; per /64 they would all be one client.
    const bool mapped = client.v6 && std::all_of(b.begin(), b.begin() + 10, [](auto x) { return x == 0; }) &&
                        b[10] == 0xff && b[11] == 0xff;
    if (!client.v6) return Key{false, be(0, 4)};
    if (mapped) return Key{false, be(12, 4)};
    return Key{true, be(0, 8)};
}

// Entries are ordered by their last failure, so the quiet ones are at the front.
void LoginThrottle::forget_quiet(Clock::time_point now) {
    while (!order_.empty()) {
        const auto it = table_.find(order_.front());
        if (now - it->second.last_failure < policy_.forget_after) return;
        table_.erase(it);
        order_.pop_front();
    }
}

LoginThrottle::Verdict LoginThrottle::check(const config::IpAddr& client, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_quiet(now);
    const auto it = table_.find(key(client));
    if (it == table_.end()) return {};
    const auto& e = it->second;
    Verdict v;
    // Once the refusal has run out the client gets one delayed try; another failure refuses it again.
    if (e.failures >= policy_.refuse_after && now - e.last_failure < policy_.refuse_for) {
        v.refuse = true;
        return v;
    }
    if (e.failures < policy_.free_failures) return v;
    // Doubling per failure; the shift is bounded so it cannot overflow before the cap applies.
    const int doublings = std::min(e.failures - policy_.free_failures, 32);
    v.delay = std::min(policy_.base_delay * (std::int64_t{1} << doublings), policy_.max_delay);
    return v;
}

void LoginThrottle::failed(const config::IpAddr& client, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_quiet(now);
    const auto k = key(client);
    auto [it, fresh] = table_.try_emplace(k);
    auto& e = it->second;
    if (fresh) {
        order_.push_back(k);
        e.age = std::prev(order_.end());
    } else {
        order_.splice(order_.end(), order_, e.age);
    }
    if (e.failures < INT_MAX) ++e.failures;
    e.last_failure = now;
    while (table_.size() > policy_.max_entries) {
        table_.erase(order_.front());
        order_.pop_front();
    }
}

void LoginThrottle::succeeded(const config::IpAddr& client) {
    const std::lock_guard lock(mutex_);
    const auto it = table_.find(key(client));
    if (it == table_.end()) return;
    order_.erase(it->second.age);
    table_.erase(it);
}

std::size_t LoginThrottle::size() const {
    const std::lock_guard lock(mutex_);
    return table_.size();
}

}  // namespace mxlab::auth
