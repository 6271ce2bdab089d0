// Pausing an accept loop that ran out of descriptors; see accept_pause.hpp.
#include "core/accept_pause.hpp"

#include <algorithm>
#include <cerrno>

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab {

namespace {

constexpr std::chrono::milliseconds kFirstWait{50};
constexpr std::chrono::milliseconds kLongestWait{1000};  // how late a freed descriptor is noticed, at worst

}  // namespace

AcceptPause::Failure AcceptPause::classify(const boost::system::error_code& ec) {
    if (ec.category() != boost::system::system_category()) return Failure::other;
    switch (ec.value()) {
    // accept(2): a connection that went away before it was taken, and the
    // network errors Linux passes on from it, are to be retried at once.
    case ECONNABORTED:
    case EINTR:
    case EAGAIN:
    case EPROTO:
    case ENOPROTOOPT:
    case ENETDOWN:
    case ENONET:
    case EHOSTDOWN:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EOPNOTSUPP: return Failure::one_connection;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM: return Failure::resources;
    default: return Failure::other;
    }
}

asio::awaitable<void> AcceptPause::failed(const boost::system::error_code& ec) {
    const auto failure = classify(ec);
    if (failure == Failure::one_connection) co_return;
    // Out of descriptors or memory, or anything unforeseen that would fail
    // again at once: wait, so the loop never spins.
    if (failures_++ == 0) {
        log_.error(event_ + ".accept.paused",
                   {{"error", ec.message()},
                    {"detail", failure == Failure::resources ? "no new connections until descriptors are free; "
                                                      "raise LimitNOFILE or lower [limits]"
                                                    : "accepting again after a pause"}});
    }
    wait_ = wait_.count() == 0 ? kFirstWait : std::min(wait_ * 2, kLongestWait);
    asio::steady_timer t(co_await asio::this_coro::executor, wait_);
    boost::system::error_code ignored;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void AcceptPause::accepted() {
    if (failures_ == 0) return;
    log_.info(event_ + ".accept.resumed", {{"failed_accepts", failures_}});
    failures_ = 0;
    wait_ = std::chrono::milliseconds{0};
}

asio::awaitable<void> accept_each(asio::ip::tcp::acceptor& acceptor, asio::io_context& io, Logger& log, std::string event,
                                  const std::atomic<bool>& stopping, std::function<void(StrandSocket)> take) {
    AcceptPause pause(log, event);
    while (!stopping) {
        boost::system::error_code ec;
        auto socket = co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping) co_return;
            co_await pause.failed(ec);
            continue;
        }
        pause.accepted();
        try {
            take(std::move(socket));
        } catch (const std::exception& e) {
            log.error(event + ".accept.failed", {{"error", e.what()}});
        }
    }
}

}  // namespace mxlab
