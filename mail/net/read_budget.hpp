// How long a mail connection may take to send what it owes: a deadline per command that bytes extend only at a minimum rate, and a cap on the whole session.
//
// A deadline that every received byte resets lets a client hold a connection
// forever with one byte every 299 seconds. Here the deadline is set when the
// server has answered (the client owes its next command), and each read
// extends it by bytes / min_rate, never past now + timeout: a client sending
// at least min_rate bytes a second (Postfix's smtpd_min_data_rate, 500) never
// runs out, a trickle does within about `timeout`. Pure: the caller passes the
// time, so tests drive it without waiting.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>

namespace mxlab::mail::net {

class ReadBudget {
public:
    using Clock = std::chrono::steady_clock;

    struct Policy {
        std::chrono::seconds timeout{300};        // to send one command, and the most a read may wait
        std::size_t min_rate = 500;               // bytes per second that keep a long transfer going
        std::chrono::seconds max_session{3600};   // the whole connection, however busy
        std::chrono::seconds stress_timeout{10};  // instead of `timeout` while the server is under stress (stress.hpp)
    };

    ReadBudget() = default;
    ReadBudget(Policy policy, Clock::time_point start)
        : policy_(policy), due_(start + policy.timeout), session_end_(start + policy.max_session) {}

    // The server has written a reply: the client owes a new command.
    void answered(Clock::time_point now) { due_ = now + policy_.timeout; }

    // Under stress: the client owes its command by `latest` at the latest.
    void shorten(Clock::time_point latest) { due_ = std::min(due_, latest); }

    // `n` bytes arrived.
    void received(std::size_t n, Clock::time_point now) {
        const auto earned = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
            static_cast<double>(n) / static_cast<double>(std::max<std::size_t>(policy_.min_rate, 1))));
        const auto cap = now + policy_.timeout;
        due_ = due_ >= cap - earned ? cap : due_ + earned;  // compared first: no overflow near time_point::max
    }

    // When the next read must have completed.
    Clock::time_point deadline() const { return std::min(due_, session_end_); }
    // When the connection ends, however busy: writes are held to it too.
    Clock::time_point session_end() const { return session_end_; }

    const Policy& policy() const { return policy_; }

private:
    Policy policy_;
    Clock::time_point due_ = Clock::time_point::max();
    Clock::time_point session_end_ = Clock::time_point::max();
};

}  // namespace mxlab::mail::net
