// Tests for mail/auth/throttle: per-(client, login) delays and lock-outs, the per-client lock-out, what a success forgets, IPv6 /64 grouping and the table bounds, on an injected clock.
#include "mail/auth/throttle.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mxlab::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;
using Policy = LoginThrottle::Policy;
using std::chrono::milliseconds;

config::IpAddr ip(std::string_view text) {
    const auto a = config::IpAddr::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(config::IpAddr{});
}

// Any fixed point works: the throttle only compares times it was given.
const Clock::time_point t0 = Clock::time_point{} + 1000h;
const Policy defaults = Policy::from(config::Limits{});

TEST(Throttle, UnknownClientPasses) {
    LoginThrottle t;
    const auto v = t.check(ip("10.0.0.1"), "bob@sina.com", defaults, t0);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 0ms);
    EXPECT_EQ(t.size(), 0u);
}

TEST(Throttle, PolicyComesFromLimits) {
    config::Limits l;
    l.login_failures_per_user = 4;
    l.login_failures_per_address = 40;
    l.login_lockout = 3600s;
    const auto p = Policy::from(l);
    EXPECT_EQ(p.per_login, 4);
    EXPECT_EQ(p.per_client, 40);
    EXPECT_EQ(p.lockout, 3600s);
    EXPECT_GE(p.forget_after, p.lockout);  // a lock-out is never forgotten before it ends
    EXPECT_EQ(defaults.per_login, 10);
    EXPECT_EQ(defaults.per_client, 100);
    EXPECT_EQ(defaults.lockout, 300s);
}

// Defaults: 3 free failures, then 0.5 s doubling to 8 s, lock-out at 10.
TEST(Throttle, DelayGrowsThenLocksTheLoginOut) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    const milliseconds expected[] = {0ms, 0ms, 0ms, 500ms, 1000ms, 2000ms, 4000ms, 8000ms, 8000ms, 8000ms};
    auto now = t0;
    for (int failures = 0; failures < 10; ++failures) {
        SCOPED_TRACE(failures);
        const auto v = t.attempt(a, "bob@sina.com", defaults, now);  // and no success follows
        EXPECT_FALSE(v.refuse);
        EXPECT_EQ(v.delay, expected[failures]);
        now += 1s;
    }
    const auto v = t.attempt(a, "bob@sina.com", defaults, now);
    EXPECT_TRUE(v.refuse);
    EXPECT_EQ(v.retry_after, 299s);  // 300 s from the last failure, 1 s ago
    // Only that login: a classmate at the same address is not held up.
    const auto other = t.check(a, "jack@sina.com", defaults, now);
    EXPECT_FALSE(other.refuse);
    EXPECT_EQ(other.delay, 0ms);
}

TEST(Throttle, LoginsMatchCaseInsensitively) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.failed(a, i % 2 ? "Bob@Sina.COM" : "bob@sina.com", defaults, t0);
    EXPECT_TRUE(t.check(a, "BOB@SINA.COM", defaults, t0).refuse);
}

TEST(Throttle, LockoutLastsFromTheLastFailure) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.failed(a, "bob", defaults, t0);
    EXPECT_TRUE(t.check(a, "bob", defaults, t0 + 299s).refuse);
    // Refused attempts check no password, so they do not prolong the lock-out.
    const auto v = t.check(a, "bob", defaults, t0 + 300s);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 8000ms);
    // One more failure locks it out again, for another lockout.
    t.failed(a, "bob", defaults, t0 + 300s);
    EXPECT_TRUE(t.check(a, "bob", defaults, t0 + 599s).refuse);
    EXPECT_FALSE(t.check(a, "bob", defaults, t0 + 600s).refuse);
}

// Issue 12, finding 8: a correct login to the attacker's own account cleared
// the address's failures, so 300 guesses at bob's password went through.
TEST(Throttle, OwnAccountSuccessDoesNotClearAnotherLogin) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    int guesses = 0;
    for (int round = 0; round < 30; ++round) {
        for (int i = 0; i < 10; ++i) {
            if (t.attempt(a, "bob@sina.com", defaults, t0).refuse) break;
            ++guesses;
        }
        // The attacker logs in to its own account.
        ASSERT_FALSE(t.attempt(a, "mallory@sina.com", defaults, t0).refuse);
        t.succeeded(a, "mallory@sina.com");
    }
    EXPECT_EQ(guesses, 10);
    EXPECT_TRUE(t.check(a, "bob@sina.com", defaults, t0).refuse);
}

TEST(Throttle, SuccessForgetsOnlyItsOwnLogin) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 5; ++i) t.failed(a, "bob", defaults, t0);
    for (int i = 0; i < 5; ++i) t.failed(a, "jack", defaults, t0);
    t.succeeded(a, "bob");
    EXPECT_EQ(t.check(a, "bob", defaults, t0).delay, 0ms);
    EXPECT_EQ(t.check(a, "jack", defaults, t0).delay, 2000ms);
    t.succeeded(ip("10.0.0.9"), "bob");  // unknown: nothing happens
}

// A guesser who sprays logins is stopped by the per-client count, which no success clears.
TEST(Throttle, ClientLockoutAcrossLogins) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 100; ++i) {
        const auto login = "user" + std::to_string(i);
        ASSERT_FALSE(t.attempt(a, "mallory", defaults, t0).refuse) << i;  // the guesser's own account
        t.succeeded(a, "mallory");
        ASSERT_FALSE(t.attempt(a, login, defaults, t0).refuse) << i;
    }
    const auto v = t.check(a, "someone-new", defaults, t0 + 10s);
    EXPECT_TRUE(v.refuse);
    EXPECT_EQ(v.retry_after, 290s);
    EXPECT_FALSE(t.check(ip("10.0.0.2"), "someone-new", defaults, t0 + 10s).refuse);
    EXPECT_FALSE(t.check(a, "someone-new", defaults, t0 + 300s).refuse);
}

// Issue 12 review: 100 connections that all pass the check before any
// failure is counted would get 100 guesses; each attempt counts at once.
TEST(Throttle, ParallelAttemptsAreCountedUpFront) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    int allowed = 0;
    for (int i = 0; i < 100; ++i)
        if (!t.attempt(a, "bob", defaults, t0).refuse) ++allowed;  // none has answered yet
    EXPECT_EQ(allowed, 10);
}

TEST(Throttle, SuccessTakesBackOnlyItsOwnAttempt) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 99; ++i) t.failed(a, "user" + std::to_string(i % 9), defaults, t0);
    ASSERT_FALSE(t.attempt(a, "jack", defaults, t0).refuse);
    t.succeeded(a, "jack");
    ASSERT_FALSE(t.attempt(a, "jack", defaults, t0).refuse);  // the 100th failure: the client is locked out
    EXPECT_TRUE(t.check(a, "someone", defaults, t0).refuse);
}

// The count goes by local part whether or not the user exists, so the
// throttle's answers cannot tell which logins are real.
TEST(Throttle, AddressFormsOfALoginShareACount) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.attempt(a, i % 2 ? "alice" : "Alice@Sina.com", defaults, t0);
    EXPECT_TRUE(t.check(a, "ALICE@bigsky.com", defaults, t0).refuse);
    EXPECT_TRUE(t.check(a, "alice", defaults, t0).refuse);
    EXPECT_FALSE(t.check(a, "alicia", defaults, t0).refuse);
}

TEST(Throttle, LongLoginsAreCut) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    const std::string stem(64, 'x');
    for (int i = 0; i < 10; ++i) t.attempt(a, stem + std::string(3000, char('a' + i)), defaults, t0);
    EXPECT_EQ(t.size(), 2u);  // one client, one login: the first 64 octets
    EXPECT_TRUE(t.check(a, stem, defaults, t0).refuse);
}

TEST(Throttle, UnblockForgetsTheClient) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 100; ++i) t.failed(a, "bob" + std::to_string(i % 3), defaults, t0);
    t.failed(ip("10.0.0.2"), "bob", defaults, t0);
    ASSERT_TRUE(t.check(a, "bob0", defaults, t0).refuse);
    EXPECT_EQ(t.unblock(a), 4u);  // the client and its three logins
    EXPECT_EQ(t.unblock(a), 0u);
    EXPECT_FALSE(t.check(a, "bob0", defaults, t0).refuse);
    EXPECT_EQ(t.check(a, "bob0", defaults, t0).delay, 0ms);
    EXPECT_EQ(t.size(), 2u);  // 10.0.0.2's two entries stay
}

TEST(Throttle, QuietEntriesAreForgotten) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.failed(a, "bob", defaults, t0);
    EXPECT_EQ(t.check(a, "bob", defaults, t0 + 899s).delay, 8000ms);
    const auto v = t.check(a, "bob", defaults, t0 + 900s);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 0ms);
    EXPECT_EQ(t.size(), 0u);
    // It starts afresh: one failure is free again.
    t.failed(a, "bob", defaults, t0 + 901s);
    EXPECT_EQ(t.check(a, "bob", defaults, t0 + 901s).delay, 0ms);
}

TEST(Throttle, ForgettingAlsoHappensOnOtherClientsCalls) {
    LoginThrottle t;
    t.failed(ip("10.0.0.1"), "bob", defaults, t0);
    t.failed(ip("10.0.0.2"), "bob", defaults, t0 + 600s);
    EXPECT_EQ(t.size(), 4u);
    t.check(ip("192.0.2.1"), "bob", defaults, t0 + 900s);
    EXPECT_EQ(t.size(), 2u);
}

// One host usually owns a whole /64, and can pick any address in it.
TEST(Throttle, Ipv6CountsPerSlash64) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.failed(ip("2001:db8:1:2::" + std::to_string(i + 1)), "bob", defaults, t0);
    EXPECT_EQ(t.size(), 2u);
    EXPECT_TRUE(t.check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), "bob", defaults, t0).refuse);
    EXPECT_FALSE(t.check(ip("2001:db8:1:3::1"), "bob", defaults, t0).refuse);
    EXPECT_FALSE(t.check(ip("2001:db8:1:1:ffff:ffff:ffff:ffff"), "bob", defaults, t0).refuse);
}

// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d: they must not share one /64.
TEST(Throttle, MappedIpv4CountsAsIpv4) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.failed(ip("::ffff:10.0.0.1"), "bob", defaults, t0);
    EXPECT_TRUE(t.check(ip("10.0.0.1"), "bob", defaults, t0).refuse);
    EXPECT_FALSE(t.check(ip("::ffff:10.0.0.2"), "bob", defaults, t0).refuse);
    EXPECT_FALSE(t.check(ip("::a00:1"), "bob", defaults, t0).refuse);  // IPv4-compatible form: a different /64 (::/64)
}

TEST(Throttle, TablesAreBoundedOldestGoFirst) {
    Policy p = defaults;
    p.free_failures = 1;
    p.max_entries = 3;
    LoginThrottle t;
    t.failed(ip("10.0.0.1"), "bob", p, t0);
    t.failed(ip("10.0.0.2"), "bob", p, t0 + 1s);
    t.failed(ip("10.0.0.3"), "bob", p, t0 + 2s);
    t.failed(ip("10.0.0.1"), "bob", p, t0 + 3s);  // a new failure makes .1 the youngest
    t.failed(ip("10.0.0.4"), "bob", p, t0 + 4s);  // evicts .2, now the oldest
    EXPECT_EQ(t.size(), 6u);
    EXPECT_EQ(t.check(ip("10.0.0.2"), "bob", p, t0 + 5s).delay, 0ms);
    EXPECT_EQ(t.check(ip("10.0.0.1"), "bob", p, t0 + 5s).delay, 1000ms);  // two failures: 0.5 s doubled
    EXPECT_EQ(t.check(ip("10.0.0.3"), "bob", p, t0 + 5s).delay, 500ms);
    EXPECT_EQ(t.check(ip("10.0.0.4"), "bob", p, t0 + 5s).delay, 500ms);
}

TEST(Throttle, ManyLoginsStayWithinBound) {
    Policy p = defaults;
    p.max_entries = 100;
    LoginThrottle t;
    for (int i = 0; i < 1000; ++i) t.failed(ip("10.0.0.1"), "user" + std::to_string(i), p, t0);
    EXPECT_EQ(t.size(), 101u);  // 100 logins and the one client
}

TEST(Throttle, CustomPolicy) {
    Policy p = defaults;
    p.free_failures = 1;
    p.base_delay = 100ms;
    p.max_delay = 250ms;
    p.per_login = 4;
    p.lockout = 10s;
    LoginThrottle t;
    const auto a = ip("2001:db8::1");
    const milliseconds expected[] = {0ms, 100ms, 200ms, 250ms};  // the last capped
    for (const auto d : expected) {
        EXPECT_EQ(t.check(a, "bob", p, t0).delay, d);
        t.failed(a, "bob", p, t0);
    }
    EXPECT_TRUE(t.check(a, "bob", p, t0 + 9s).refuse);
    EXPECT_EQ(t.check(a, "bob", p, t0 + 10s).delay, 250ms);
}

// Many failures must neither overflow the delay nor the counter.
TEST(Throttle, LongAttack) {
    Policy p = defaults;
    p.per_login = 1 << 30;
    p.per_client = 1 << 30;
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 200; ++i) t.failed(a, "bob", p, t0);
    EXPECT_EQ(t.check(a, "bob", p, t0).delay, 8000ms);
}

TEST(Throttle, WaitText) {
    EXPECT_EQ(wait_text(0s), "1 second");
    EXPECT_EQ(wait_text(1s), "1 second");
    EXPECT_EQ(wait_text(45s), "45 seconds");
    EXPECT_EQ(wait_text(119s), "119 seconds");
    EXPECT_EQ(wait_text(120s), "2 minutes");
    EXPECT_EQ(wait_text(287s), "5 minutes");  // rounded up: never told to come back too early
    EXPECT_EQ(wait_text(3600s), "60 minutes");
}

TEST(Throttle, ConcurrentUse) {
    Policy p = defaults;
    p.max_entries = 50;
    LoginThrottle t;
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([&t, &p, n] {
            for (int i = 0; i < 2000; ++i) {
                const auto a = ip("10." + std::to_string(n) + "." + std::to_string(i % 7) + "." + std::to_string(i % 61));
                const auto login = "u" + std::to_string(i % 3);
                t.check(a, login, p, t0);
                if (i % 5 == 0) t.succeeded(a, login);
                else t.failed(a, login, p, t0);
                if (i % 97 == 0) t.unblock(a);
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_LE(t.size(), 100u);
}

}  // namespace
}  // namespace mxlab::auth
