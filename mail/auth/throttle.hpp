// Throttling of failed logins, shared by SMTP, POP3 and IMAP: per (client, login) a growing delay and then a lock-out, per client a lock-out far above a classroom's typing mistakes.
//
// Two counts, so that neither can be used to wipe the other: the failures of
// one login from one client (a student's typos delay and then lock that login
// only), and all the failures from one client (a guesser who sprays many logins
// is stopped too). A correct password forgets only its own (client, login)
// count: logging in to one's own account never clears the failures against
// someone else's, nor the client's total.
//
// Reads [limits] login_failures_per_user, login_failures_per_address and
// login_lockout, passed in with each call so a reload applies at once.
// Thread-safe (one mutex; a few lookups per login attempt). Memory is bounded:
// quiet entries are forgotten, and past max_entries the oldest go first. A
// client is an IPv4 address or an IPv6 /64 (config::IpAddr::client_scope).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"

namespace mxlab::auth {

class LoginThrottle {
public:
    using Clock = std::chrono::steady_clock;

    struct Policy {
        int free_failures = 3;                      // failures of one login answered without delay
        std::chrono::milliseconds base_delay{500};  // then 0.5 s, 1 s, 2 s, ... doubling
        std::chrono::milliseconds max_delay{8000};
        int per_login = 10;                         // [limits] login_failures_per_user
        int per_client = 100;                       // [limits] login_failures_per_address
        std::chrono::seconds lockout{300};          // [limits] login_lockout, from the last failure
        std::chrono::seconds forget_after{900};     // a quiet entry starts afresh (at least lockout)
        std::size_t max_entries = 65536;            // per table

        static Policy from(const config::Limits& limits);
    };

    struct Verdict {
        bool refuse = false;                  // answer "try later" without checking the password
        std::chrono::seconds retry_after{0};  // when refused: how long until the lock-out ends
        std::chrono::milliseconds delay{0};   // otherwise wait this long before answering the attempt
    };

    // A login counts by its local part, case-insensitively and cut at 64
    // octets (RFC 5321 section 4.5.3.1.1): "bob", "Bob@Sina.com" and
    // "bob@bigsky.com" are one count, whether or not such a user exists, so
    // the throttle's answers tell nothing about which logins are real.

    // Before checking a password: the verdict, and when the attempt may go
    // ahead it is counted as a failure at once, so attempts made in parallel
    // over many connections cannot all pass before the first one fails.
    Verdict attempt(const config::IpAddr& client, std::string_view login, const Policy& policy,
                    Clock::time_point now = Clock::now());
    // The password was right: forgets this (client, login)'s failures and takes
    // back the attempt's count from the client's; nothing else.
    void succeeded(const config::IpAddr& client, std::string_view login);
    // What attempt() would say, counting nothing.
    Verdict check(const config::IpAddr& client, std::string_view login, const Policy& policy,
                  Clock::time_point now = Clock::now());
    // Counts one failure without an attempt (tests and state set-up).
    void failed(const config::IpAddr& client, std::string_view login, const Policy& policy,
                Clock::time_point now = Clock::now());
    // Forgets every failure from `client` (mxlab unblock); how many entries went.
    std::size_t unblock(const config::IpAddr& client);

    std::size_t size() const;  // entries remembered, both tables (for tests)

private:
    // Failures per key, oldest last failure first, so forgetting and eviction start at the front.
    template <class Key, class Hash>
    struct Table {
        struct Entry {
            int failures = 0;
            Clock::time_point last_failure;
            typename std::list<Key>::iterator age;
        };
        std::unordered_map<Key, Entry, Hash> map;
        std::list<Key> order;

        const Entry* find(const Key& k) const;
        void add_failure(const Key& k, Clock::time_point now, std::size_t max_entries);
        void take_back(const Key& k);  // one failure fewer
        void erase(const Key& k);
        void forget_quiet(Clock::time_point now, std::chrono::seconds after);
    };
    struct ClientHash {
        std::size_t operator()(const config::IpAddr& a) const noexcept;
    };
    struct LoginKey {
        config::IpAddr client;
        std::string login;
        bool operator==(const LoginKey&) const = default;
    };
    struct LoginHash {
        std::size_t operator()(const LoginKey& k) const noexcept;
    };

    void forget_quiet(const Policy& policy, Clock::time_point now);  // with mutex_ held
    Verdict verdict(const config::IpAddr& scope, const std::string& login, const Policy& policy,
                    Clock::time_point now) const;  // with mutex_ held
    void count_failure(const config::IpAddr& scope, std::string login, const Policy& policy,
                       Clock::time_point now);  // with mutex_ held
    static std::string login_key(std::string_view login);

    mutable std::mutex mutex_;
    Table<config::IpAddr, ClientHash> clients_;
    Table<LoginKey, LoginHash> logins_;
};

// "40 seconds", "5 minutes": how long a refused client is told to wait, rounded up.
std::string wait_text(std::chrono::seconds wait);

}  // namespace mxlab::auth
