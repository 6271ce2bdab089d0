// Password checks on their own small pool, so that a burst of logins (SHA512-CRYPT costs milliseconds on purpose) neither waits behind the store nor keeps the store's read threads from mail.
//
// The pool is bounded: past max_waiting checks queued or running, a login is
// answered "try later" at once (SMTP 454 4.7.0, POP3 -ERR [SYS/TEMP]) rather
// than piling up behind a flood; a client that retries gets in as soon as the
// burst drains. Results resume on the awaiting coroutine's executor.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/asio.hpp"
#include "mail/auth/directory.hpp"

namespace mxlab::mail::net {

class PasswordChecks {
public:
    struct Verdict {
        bool checked = false;             // false: the pool was full; nothing was checked
        std::optional<std::string> user;  // the canonical user when the password was right
    };

    explicit PasswordChecks(std::size_t threads = 2, std::size_t max_waiting = 64);
    ~PasswordChecks();  // waits for the checks in flight
    PasswordChecks(const PasswordChecks&) = delete;
    PasswordChecks& operator=(const PasswordChecks&) = delete;

    // directory->authenticate(login, password) on the pool.
    asio::awaitable<Verdict> check(std::shared_ptr<const auth::Directory> directory, std::string login, std::string password);

    std::size_t waiting() const { return waiting_.load(); }

private:
    asio::awaitable<std::optional<std::string>> run(std::shared_ptr<const auth::Directory> directory, std::string login,
                                                    std::string password);

    asio::thread_pool pool_;
    std::size_t max_waiting_;
    std::atomic<std::size_t> waiting_{0};
};

}  // namespace mxlab::mail::net
