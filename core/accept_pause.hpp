// What an accept loop does when accept() fails: out of descriptors or memory, it pauses with a growing wait instead of spinning, and logs the pause and the recovery once each.
//
// With the process's descriptors used up (EMFILE), the pending connection stays
// in the listen queue, so the next accept() fails at once again: retried in a
// loop that is a core at 100% and no service answering anyone. Waiting lets
// the open connections finish and free descriptors; the backlog is served then.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab {

class AcceptPause {
public:
    // `event`: the prefix of the log events, e.g. "smtp" -> "smtp.accept.paused" / "smtp.accept.resumed".
    AcceptPause(Logger& log, std::string event) : log_(log), event_(std::move(event)) {}

    // After a failed accept (not a cancellation): waits unless the failure
    // concerned that one connection, so the caller just tries again.
    asio::awaitable<void> failed(const boost::system::error_code& ec);
    // After a successful accept.
    void accepted();

    static bool out_of_resources(const boost::system::error_code& ec);
    // A failure that concerns the one connection being taken: try the next at once.
    static bool about_one_connection(const boost::system::error_code& ec);

private:
    Logger& log_;
    std::string event_;
    std::chrono::milliseconds wait_{0};
    std::uint64_t failures_ = 0;  // failed accepts since the pause began
};

}  // namespace mxlab
