// Tests for mail/net/password_checks: checks run off the caller's thread and resume on its executor, and a full pool refuses at once instead of queueing.
#include "mail/net/password_checks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "config/config.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::mail::net {
namespace {

// Slow: SHA512-CRYPT at 400,000 rounds (some 0.3 s), so that checks overlap.
std::shared_ptr<const auth::Directory> directory() {
    auto r = config::load_string(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
data_dir = "/tmp/mxlab-password-checks-test"
[[domain]]
name = "sina.com"
[domain.users]
bob = "bob123"
slow = "{SHA512-CRYPT}$6$rounds=400000$abcdefgh$VSS/GiUXS3np7TmSJ/H7Kp3ECVFw9aPBRPtJmzmxwY6Hj1IAsOzVh2Onydl.SCZoCh4gjFt388LS50ddCI8.2/"
)",
                                 "/etc/mxlab/test.toml");
    EXPECT_TRUE(r.ok());
    return std::make_shared<const auth::Directory>(*r.config);
}

struct Outcome {
    PasswordChecks::Verdict verdict;
    std::thread::id resumed_on;
};

TEST(PasswordChecks, RightAndWrongPasswordsResumeOnTheCaller) {
    asio::io_context io;
    PasswordChecks checks(1, 4);
    auto dir = directory();
    std::vector<Outcome> got(2);
    for (int i = 0; i < 2; ++i) {
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto v = co_await checks.check(dir, "bob@sina.com", i == 0 ? "bob123" : "wrong");
            got[i] = Outcome{v, std::this_thread::get_id()};
        }, asio::detached);
    }
    io.run();
    EXPECT_TRUE(got[0].verdict.checked);
    EXPECT_EQ(got[0].verdict.user, "bob@sina.com");
    EXPECT_TRUE(got[1].verdict.checked);
    EXPECT_FALSE(got[1].verdict.user);
    EXPECT_EQ(got[0].resumed_on, std::this_thread::get_id());
    EXPECT_EQ(checks.waiting(), 0u);
}

// Issue 14, item 8: a burst past the bound is told "not checked" at once, and the pool takes checks again once it drains.
TEST(PasswordChecks, FullPoolRefusesAtOnce) {
    asio::io_context io;
    PasswordChecks checks(1, 2);
    auto dir = directory();
    std::vector<Outcome> got(4);
    std::vector<std::chrono::steady_clock::duration> took(4);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 4; ++i) {
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto v = co_await checks.check(dir, "slow@sina.com", "slow123");
            got[i] = Outcome{v, std::this_thread::get_id()};
            took[i] = std::chrono::steady_clock::now() - start;
        }, asio::detached);
    }
    io.run();
    EXPECT_TRUE(got[0].verdict.checked);
    EXPECT_EQ(got[0].verdict.user, "slow@sina.com");
    EXPECT_TRUE(got[1].verdict.checked);
    EXPECT_FALSE(got[2].verdict.checked);
    EXPECT_FALSE(got[3].verdict.checked);
    EXPECT_LT(took[2], took[0]);  // refused before the first check ended
    io.restart();
    Outcome again;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        again.verdict = co_await checks.check(dir, "slow@sina.com", "slow123");
    }, asio::detached);
    io.run();
    EXPECT_TRUE(again.verdict.checked);
}

}  // namespace
}  // namespace mxlab::mail::net
