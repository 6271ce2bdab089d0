// The password pool; see password_checks.hpp.
#include "mail/net/password_checks.hpp"

#include <exception>
#include <utility>

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::mail::net {

PasswordChecks::PasswordChecks(std::size_t threads, std::size_t max_waiting) : pool_(threads), max_waiting_(max_waiting) {}

PasswordChecks::~PasswordChecks() { pool_.join(); }

// Plain code, not a coroutine: g++ 12 mishandles lambdas with by-value captures
// inside a co_await expression (see store/async_store.hpp). A throw from
// authenticate (bad_alloc) comes back as the exception_ptr and is rethrown in
// the awaiting coroutine by use_awaitable.
asio::awaitable<std::optional<std::string>> PasswordChecks::run(std::shared_ptr<const auth::Directory> directory, std::string login,
                                                                std::string password) {
    struct Job {
        std::shared_ptr<const auth::Directory> directory;
        std::string login, password;
    };
    auto job = std::make_shared<Job>(Job{std::move(directory), std::move(login), std::move(password)});
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, std::optional<std::string>)>(
        [this, job](auto handler) {
            // Tracked work keeps the caller's io_context running until we resume it.
            auto ex = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            asio::post(pool_, [this, job, h, ex] {
                std::optional<std::string> user;
                std::exception_ptr failure;
                try {
                    user = job->directory->authenticate(job->login, job->password);
                } catch (...) {
                    failure = std::current_exception();
                }
                waiting_.fetch_sub(1);
                asio::post(ex, [h, failure, user = std::move(user)]() mutable { (*h)(failure, std::move(user)); });
            });
        },
        asio::use_awaitable);
}

asio::awaitable<PasswordChecks::Verdict> PasswordChecks::check(std::shared_ptr<const auth::Directory> directory, std::string login,
                                                               std::string password) {
    if (waiting_.fetch_add(1) >= max_waiting_) {
        waiting_.fetch_sub(1);
        co_return Verdict{};
    }
    auto user = co_await run(std::move(directory), std::move(login), std::move(password));
    co_return Verdict{true, std::move(user)};
}

}  // namespace mxlab::mail::net
