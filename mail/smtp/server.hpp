// The SMTP servers on ports 25, 587 (STARTTLS) and 465 (implicit TLS): sockets, TLS, timeouts and the store around smtp::Session.
//
// A connection is one coroutine on its own strand, with a watchdog that closes
// the socket when a read or write deadline passes (RFC 5321 section 4.5.3.2:
// 5 minutes). Passwords are checked, and messages stored, off the network
// threads (AsyncStore), and a reply that acknowledges a message is written only
// after the store has synced it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/smtp/session.hpp"
#include "mail/snapshot.hpp"
#include "mail/store/async_store.hpp"

namespace mxlab::smtp {

using Snapshot = mail::Snapshot;  // shared with POP3 (and IMAP)

struct ServerLimits {
    std::chrono::seconds command_timeout{300};  // RFC 5321 section 4.5.3.2.7
    std::chrono::seconds tls_handshake_timeout{60};
    std::size_t connections_per_client = 50;    // Postfix's smtpd_client_connection_count_limit
    std::size_t max_connections = 1000;
    Limits session;
};

class Server {
public:
    Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, Logger& log, ServerLimits limits = {});
    ~Server();

    // Opens and binds a listener; throws std::runtime_error naming the address.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind);
    void set_snapshot(std::shared_ptr<const Snapshot> snapshot);
    // Called (on a network thread) after a message with remote recipients is queued.
    void on_queued(std::function<void()> hook) { on_queued_ = std::move(hook); }
    void start();
    // Stops accepting; idle connections are closed, a message being stored
    // gets its reply first.
    void stop();

private:
    struct Listener;
    struct Connection;
    asio::awaitable<void> accept_loop(Listener& listener);
    asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
    asio::awaitable<void> authenticate(Connection& conn, Session& session);
    asio::awaitable<void> deliver(Connection& conn, Session& session);
    std::shared_ptr<const Snapshot> snapshot() const;
    void release(const std::shared_ptr<Connection>& conn);

    asio::io_context& io_;
    store::AsyncStore& store_;
    auth::LoginThrottle& throttle_;
    Logger& log_;
    ServerLimits limits_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Snapshot> snapshot_;
    std::set<std::shared_ptr<Connection>> connections_;
    std::map<config::IpAddr, std::size_t, bool (*)(const config::IpAddr&, const config::IpAddr&)> per_client_;
    std::function<void()> on_queued_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::uint64_t> next_id_{0};
    std::uint32_t id_prefix_;
};

}  // namespace mxlab::smtp
