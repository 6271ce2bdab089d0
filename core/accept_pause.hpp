// What an accept loop does when accept() fails: out of descriptors or memory, it pauses with a growing wait instead of spinning, and logs the pause and the recovery once each; and the TCP accept loop the servers share.
//
// With the process's descriptors used up (EMFILE), the pending connection stays
// in the listen queue, so the next accept() fails at once again: retried in a
// loop that is a core at 100% and no service answering anyone. Waiting lets
// the open connections finish and free descriptors; the backlog is served then.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

    // one_connection: the connection being taken went away, try the next at
    // once; resources: out of descriptors or memory; other: anything else.
    enum class Failure { one_connection, resources, other };
    static Failure classify(const boost::system::error_code& ec);

private:
    Logger& log_;
    std::string event_;
    std::chrono::milliseconds wait_{0};
    std::uint64_t failures_ = 0;  // failed accepts since the pause began
};

// A connection as the shared loop hands it over: on a strand of its own.
using StrandSocket = asio::basic_stream_socket<asio::ip::tcp, asio::strand<asio::io_context::executor_type>>;

// Accepts on `acceptor` until it is closed or `stopping`, pausing on failures
// (AcceptPause, events "<event>.accept.*"), and hands each connection to
// `take`. A `take` that throws (bad_alloc) is logged as "<event>.accept.failed"
// and the loop goes on: one connection never ends a listener.
asio::awaitable<void> accept_each(asio::ip::tcp::acceptor& acceptor, asio::io_context& io, Logger& log, std::string event,
                                  const std::atomic<bool>& stopping, std::function<void(StrandSocket)> take);

}  // namespace mxlab
