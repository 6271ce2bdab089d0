// Throttling of failed logins per client address, shared by SMTP, POP3 and IMAP: a growing delay, then a temporary refusal.
//
// Thread-safe (one mutex; a lookup per login attempt). Memory is bounded: old
// entries are forgotten, and past max_entries the oldest go first. IPv6
// clients are counted per /64, as one host usually owns one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <unordered_map>

#include "config/config.hpp"

namespace mxlab::auth {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    struct Policy {
        int free_failures = 3;                      // failures answered without delay
        std::chrono::milliseconds base_delay{500};  // then 0.5 s, 1 s, 2 s, ... doubling
        std::chrono::milliseconds max_delay{8000};
        int refuse_after = 10;                      // failures before refusing outright
        std::chrono::seconds refuse_for{300};       // how long a refusal lasts from the last failure
        std::chrono::seconds forget_after{900};     // a quiet address starts afresh
        std::size_t max_entries = 65536;
    };

    struct Verdict {
        bool refuse = false;                  // answer "try later" (454 4.7.0 / -ERR [IN-USE]… / NO [UNAVAILABLE]) without checking
        std::chrono::milliseconds delay{0};   // wait this long before answering the attempt
    };

    LoginThrottle() : LoginThrottle(Policy{}) {}
    explicit LoginThrottle(Policy policy);

    // Before checking a password from `client`.
    Verdict check(const config::IpAddr& client, Clock::time_point now = Clock::now());
    void failed(const config::IpAddr& client, Clock::time_point now = Clock::now());
    void succeeded(const config::IpAddr& client);  // forgets the address's failures

    std::size_t size() const;  // addresses remembered (for tests)

private:
    // An IPv4 address, or the /64 of an IPv6 one (IPv4-mapped IPv6 counts as IPv4).
    struct Key {
        bool v6 = false;
        std::uint64_t bits = 0;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    struct Entry {
        int failures = 0;
        Clock::time_point last_failure;
        std::list<Key>::iterator age;  // its place in order_
    };

    static Key key(const config::IpAddr& client);
    void forget_quiet(Clock::time_point now);  // with mutex_ held

    Policy policy_;
    mutable std::mutex mutex_;
    std::unordered_map<Key, Entry, KeyHash> table_;
    std::list<Key> order_;  // oldest failure first, so forgetting and eviction start at the front
};

}  // namespace mxlab::auth
