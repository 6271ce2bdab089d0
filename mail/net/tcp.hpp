// What the mail servers (SMTP, POP3, later IMAP) share about TCP: opening a listener with a clear error, and the deadline watchdog of a connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "config/config.hpp"
#include "core/asio.hpp"

namespace mxlab::mail::net {

// A listening acceptor on `address`:`port` (reuse_address, v6_only for IPv6).
// Throws std::runtime_error "cannot listen for <what> on <address>: <why>",
// with a hint when the port needs privileges.
asio::ip::tcp::acceptor open_listener(asio::io_context& io, const config::IpAddr& address, std::uint16_t port, std::string_view what);

// Closes conn->socket() once conn->deadline passes; the connection moves the
// deadline before every read and write. Ends when the socket is closed.
// Conn has socket() and a steady_timer `deadline`; spawn it on the
// connection's strand.
template <class Conn>
asio::awaitable<void> watchdog(std::shared_ptr<Conn> conn) {
    while (conn->socket().is_open()) {
        boost::system::error_code ec;
        co_await conn->deadline.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (conn->deadline.expiry() <= std::chrono::steady_clock::now()) {
            conn->socket().close(ec);
            co_return;
        }
    }
}

}  // namespace mxlab::mail::net
