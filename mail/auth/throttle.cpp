// Failed-login throttling: a table of clients and one of (client, login), each with its failures, oldest first.
#include "mail/auth/throttle.hpp"

#include <algorithm>
#include <climits>
#include <functional>
#include <iterator>

#include "core/ascii.hpp"

namespace mxlab::auth {

namespace {

std::size_t hash_bytes(const config::IpAddr& a) noexcept {
    std::size_t h = a.v6 ? 0x9e3779b97f4a7c15ull : 0;
    for (auto b : a.bytes) h = h * 131 + b;
    return h;
}

}  // namespace

LoginThrottle::Policy LoginThrottle::Policy::from(const config::Limits& limits) {
    Policy p;
    p.per_login = limits.login_failures_per_user;
    p.per_client = limits.login_failures_per_address;
    p.lockout = limits.login_lockout;
    p.forget_after = std::max(p.forget_after, p.lockout);
    return p;
}

std::size_t LoginThrottle::ClientHash::operator()(const config::IpAddr& a) const noexcept { return hash_bytes(a); }

std::size_t LoginThrottle::LoginHash::operator()(const LoginKey& k) const noexcept {
    return hash_bytes(k.client) ^ (std::hash<std::string>{}(k.login) << 1);
}

template <class Key, class Hash>
const typename LoginThrottle::Table<Key, Hash>::Entry* LoginThrottle::Table<Key, Hash>::find(const Key& k) const {
    const auto it = map.find(k);
    return it == map.end() ? nullptr : &it->second;
}

template <class Key, class Hash>
void LoginThrottle::Table<Key, Hash>::add_failure(const Key& k, Clock::time_point now, std::size_t max_entries) {
    auto [it, fresh] = map.try_emplace(k);
    auto& e = it->second;
    if (fresh) {
        order.push_back(k);
        e.age = std::prev(order.end());
    } else {
        order.splice(order.end(), order, e.age);
    }
    if (e.failures < INT_MAX) ++e.failures;
    e.last_failure = now;
    while (map.size() > max_entries) {
        map.erase(order.front());
        order.pop_front();
    }
}

template <class Key, class Hash>
void LoginThrottle::Table<Key, Hash>::take_back(const Key& k) {
    const auto it = map.find(k);
    if (it == map.end()) return;
    if (--it->second.failures > 0) return;
    order.erase(it->second.age);
    map.erase(it);
}

template <class Key, class Hash>
void LoginThrottle::Table<Key, Hash>::erase(const Key& k) {
    const auto it = map.find(k);
    if (it == map.end()) return;
    order.erase(it->second.age);
    map.erase(it);
}

// Entries are ordered by their last failure, so the quiet ones are at the front.
template <class Key, class Hash>
void LoginThrottle::Table<Key, Hash>::forget_quiet(Clock::time_point now, std::chrono::seconds after) {
    while (!order.empty()) {
        const auto it = map.find(order.front());
        if (now - it->second.last_failure < after) return;
        map.erase(it);
        order.pop_front();
    }
}

void LoginThrottle::forget_quiet(const Policy& policy, Clock::time_point now) {
    clients_.forget_quiet(now, policy.forget_after);
    logins_.forget_quiet(now, policy.forget_after);
}

std::string LoginThrottle::login_key(std::string_view login) {
    const auto at = login.find('@');
    return lower(login.substr(0, std::min<std::size_t>(at == std::string_view::npos ? login.size() : at, 64)));
}

LoginThrottle::Verdict LoginThrottle::verdict(const config::IpAddr& scope, const std::string& login, const Policy& policy,
                                              Clock::time_point now) const {
    Verdict v;
    // Once a lock-out has run out the client gets one delayed try; another failure locks it out again.
    auto locked = [&](const auto* e, int limit) {
        if (!e || e->failures < limit) return false;
        const auto left = policy.lockout - (now - e->last_failure);
        if (left <= Clock::duration::zero()) return false;
        v.retry_after = std::max(v.retry_after, std::chrono::ceil<std::chrono::seconds>(left));
        return true;
    };
    const auto* per_login = logins_.find(LoginKey{scope, login});
    const bool a = locked(clients_.find(scope), policy.per_client);
    const bool b = locked(per_login, policy.per_login);
    if (a || b) {
        v.refuse = true;
        return v;
    }
    if (!per_login || per_login->failures < policy.free_failures) return v;
    // Doubling per failure; the shift is bounded so it cannot overflow before the cap applies.
    const int doublings = std::min(per_login->failures - policy.free_failures, 32);
    v.delay = std::min(policy.base_delay * (std::int64_t{1} << doublings), policy.max_delay);
    return v;
}

void LoginThrottle::count_failure(const config::IpAddr& scope, std::string login, const Policy& policy,
                                  Clock::time_point now) {
    clients_.add_failure(scope, now, policy.max_entries);
    logins_.add_failure(LoginKey{scope, std::move(login)}, now, policy.max_entries);
}

LoginThrottle::Verdict LoginThrottle::check(const config::IpAddr& client, std::string_view login, const Policy& policy,
                                            Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_quiet(policy, now);
    return verdict(client.client_scope(), login_key(login), policy, now);
}

LoginThrottle::Verdict LoginThrottle::attempt(const config::IpAddr& client, std::string_view login, const Policy& policy,
                                              Clock::time_point now) {
    const auto scope = client.client_scope();
    auto key = login_key(login);
    const std::lock_guard lock(mutex_);
    forget_quiet(policy, now);
    const auto v = verdict(scope, key, policy, now);
    if (!v.refuse) count_failure(scope, std::move(key), policy, now);
    return v;
}

void LoginThrottle::failed(const config::IpAddr& client, std::string_view login, const Policy& policy,
                           Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    forget_quiet(policy, now);
    count_failure(client.client_scope(), login_key(login), policy, now);
}

void LoginThrottle::succeeded(const config::IpAddr& client, std::string_view login) {
    const auto scope = client.client_scope();
    const std::lock_guard lock(mutex_);
    logins_.erase(LoginKey{scope, login_key(login)});
    clients_.take_back(scope);
}

std::size_t LoginThrottle::unblock(const config::IpAddr& client) {
    const auto scope = client.client_scope();
    const std::lock_guard lock(mutex_);
    const std::size_t before = clients_.map.size() + logins_.map.size();
    clients_.erase(scope);
    for (auto it = logins_.order.begin(); it != logins_.order.end();) {
        auto next = std::next(it);
        if (it->client == scope) logins_.erase(LoginKey(*it));
        it = next;
    }
    return before - clients_.map.size() - logins_.map.size();
}

std::size_t LoginThrottle::size() const {
    const std::lock_guard lock(mutex_);
    return clients_.map.size() + logins_.map.size();
}

std::string wait_text(std::chrono::seconds wait) {
    const auto s = std::max<std::int64_t>(wait.count(), 1);
    if (s < 120) return std::to_string(s) + (s == 1 ? " second" : " seconds");
    return std::to_string((s + 59) / 60) + " minutes";
}

}  // namespace mxlab::auth
