// Tests for mail/auth/throttle: delay growth, refusal, forgetting, IPv6 /64 grouping and the table bound, on an injected clock.
#include "mail/auth/throttle.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace mxlab::auth {
namespace {

using namespace std::chrono_literals;
using Clock = LoginThrottle::Clock;
using std::chrono::milliseconds;

config::IpAddr ip(std::string_view text) {
    const auto a = config::IpAddr::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(config::IpAddr{});
}

// Any fixed point works: the throttle only compares times it was given.
const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(Throttle, UnknownClientPasses) {
    LoginThrottle t;
    const auto v = t.check(ip("10.0.0.1"), t0);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 0ms);
    EXPECT_EQ(t.size(), 0u);
}

// Defaults: 3 free failures, then 0.5 s doubling to 8 s, refusal at 10.
TEST(Throttle, DelayGrowsThenRefuses) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    const milliseconds expected[] = {0ms, 0ms, 0ms, 500ms, 1000ms, 2000ms, 4000ms, 8000ms, 8000ms, 8000ms};
    auto now = t0;
    for (int failures = 0; failures < 10; ++failures) {
        SCOPED_TRACE(failures);
        const auto v = t.check(a, now);
        EXPECT_FALSE(v.refuse);
        EXPECT_EQ(v.delay, expected[failures]);
        t.failed(a, now);
        now += 1s;
    }
    EXPECT_TRUE(t.check(a, now).refuse);
    EXPECT_EQ(t.size(), 1u);
}

TEST(Throttle, RefusalLastsFromTheLastFailure) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.failed(a, t0);
    EXPECT_TRUE(t.check(a, t0 + 299s).refuse);
    // Refused attempts check no password, so they do not prolong the refusal.
    const auto v = t.check(a, t0 + 300s);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 8000ms);
    // One more failure refuses again, for another refuse_for.
    t.failed(a, t0 + 300s);
    EXPECT_TRUE(t.check(a, t0 + 599s).refuse);
    EXPECT_FALSE(t.check(a, t0 + 600s).refuse);
}

TEST(Throttle, QuietClientIsForgotten) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 10; ++i) t.failed(a, t0);
    EXPECT_EQ(t.check(a, t0 + 899s).delay, 8000ms);
    const auto v = t.check(a, t0 + 900s);
    EXPECT_FALSE(v.refuse);
    EXPECT_EQ(v.delay, 0ms);
    EXPECT_EQ(t.size(), 0u);
    // It starts afresh: one failure is free again.
    t.failed(a, t0 + 901s);
    EXPECT_EQ(t.check(a, t0 + 901s).delay, 0ms);
}

TEST(Throttle, ForgettingAlsoHappensOnOtherClientsCalls) {
    LoginThrottle t;
    t.failed(ip("10.0.0.1"), t0);
    t.failed(ip("10.0.0.2"), t0 + 600s);
    EXPECT_EQ(t.size(), 2u);
    t.check(ip("192.0.2.1"), t0 + 900s);
    EXPECT_EQ(t.size(), 1u);
}

TEST(Throttle, SuccessForgets) {
    LoginThrottle t;
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 5; ++i) t.failed(a, t0);
    EXPECT_GT(t.check(a, t0).delay, 0ms);
    t.succeeded(a);
    EXPECT_EQ(t.check(a, t0).delay, 0ms);
    EXPECT_EQ(t.size(), 0u);
    t.succeeded(ip("10.0.0.9"));  // unknown: nothing happens
}

TEST(Throttle, Ipv4AddressesCountApart) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.failed(ip("10.0.0.1"), t0);
    EXPECT_TRUE(t.check(ip("10.0.0.1"), t0).refuse);
    EXPECT_FALSE(t.check(ip("10.0.0.2"), t0).refuse);
    EXPECT_EQ(t.check(ip("10.0.0.2"), t0).delay, 0ms);
}

// One host usually owns a whole /64, and can pick any address in it.
TEST(Throttle, Ipv6CountsPerSlash64) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.failed(ip("2001:db8:1:2::" + std::to_string(i + 1)), t0);
    EXPECT_EQ(t.size(), 1u);
    EXPECT_TRUE(t.check(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"), t0).refuse);
    EXPECT_FALSE(t.check(ip("2001:db8:1:3::1"), t0).refuse);
    EXPECT_FALSE(t.check(ip("2001:db8:1:1:ffff:ffff:ffff:ffff"), t0).refuse);
}

// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d: they must not share one /64.
TEST(Throttle, MappedIpv4CountsAsIpv4) {
    LoginThrottle t;
    for (int i = 0; i < 10; ++i) t.failed(ip("::ffff:10.0.0.1"), t0);
    EXPECT_TRUE(t.check(ip("10.0.0.1"), t0).refuse);
    EXPECT_FALSE(t.check(ip("::ffff:10.0.0.2"), t0).refuse);
    EXPECT_FALSE(t.check(ip("::a00:1"), t0).refuse);  // IPv4-compatible form: a different /64 (::/64)
}

TEST(Throttle, TableIsBoundedOldestGoFirst) {
    LoginThrottle::Policy p;
    p.free_failures = 1;
    p.max_entries = 3;
    LoginThrottle t(p);
    t.failed(ip("10.0.0.1"), t0);
    t.failed(ip("10.0.0.2"), t0 + 1s);
    t.failed(ip("10.0.0.3"), t0 + 2s);
    t.failed(ip("10.0.0.1"), t0 + 3s);  // a new failure makes .1 the youngest
    t.failed(ip("10.0.0.4"), t0 + 4s);  // evicts .2, now the oldest
    EXPECT_EQ(t.size(), 3u);
    EXPECT_EQ(t.check(ip("10.0.0.2"), t0 + 5s).delay, 0ms);
    EXPECT_EQ(t.check(ip("10.0.0.1"), t0 + 5s).delay, 1000ms);  // two failures: 0.5 s doubled
    EXPECT_EQ(t.check(ip("10.0.0.3"), t0 + 5s).delay, 500ms);
    EXPECT_EQ(t.check(ip("10.0.0.4"), t0 + 5s).delay, 500ms);
}

TEST(Throttle, ManyAddressesStayWithinBound) {
    LoginThrottle::Policy p;
    p.max_entries = 100;
    LoginThrottle t(p);
    for (int i = 0; i < 1000; ++i) t.failed(ip("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256)), t0);
    EXPECT_EQ(t.size(), 100u);
}

TEST(Throttle, CustomPolicy) {
    LoginThrottle::Policy p;
    p.free_failures = 1;
    p.base_delay = 100ms;
    p.max_delay = 250ms;
    p.refuse_after = 4;
    p.refuse_for = 10s;
    LoginThrottle t(p);
    const auto a = ip("2001:db8::1");
    const milliseconds expected[] = {0ms, 100ms, 200ms, 250ms};  // the last capped
    for (const auto d : expected) {
        EXPECT_EQ(t.check(a, t0).delay, d);
        t.failed(a, t0);
    }
    EXPECT_TRUE(t.check(a, t0 + 9s).refuse);
    EXPECT_EQ(t.check(a, t0 + 10s).delay, 250ms);
}

// Many failures must neither overflow the delay nor the counter.
TEST(Throttle, LongAttack) {
    LoginThrottle::Policy p;
    p.refuse_after = 1 << 30;
    LoginThrottle t(p);
    const auto a = ip("10.0.0.1");
    for (int i = 0; i < 200; ++i) t.failed(a, t0);
    EXPECT_EQ(t.check(a, t0).delay, 8000ms);
}

TEST(Throttle, ConcurrentUse) {
    LoginThrottle::Policy p;
    p.max_entries = 50;
    LoginThrottle t(p);
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([&t, n] {
            for (int i = 0; i < 2000; ++i) {
                const auto a = ip("10." + std::to_string(n) + "." + std::to_string(i % 7) + "." + std::to_string(i % 61));
                t.check(a, t0);
                if (i % 5 == 0) t.succeeded(a);
                else t.failed(a, t0);
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_LE(t.size(), 50u);
}

}  // namespace
}  // namespace mxlab::auth
