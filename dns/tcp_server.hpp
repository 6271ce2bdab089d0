// DNS over TCP (RFC 7766): length-prefixed queries, several per connection,
// answered in order; idle connections are closed; AXFR streams the zone.
//
// A query must arrive whole within idle_timeout of the previous answer, so a
// trickle cannot hold a connection, and a connection lasts max_lifetime at
// most (an AXFR in progress finishes first). Limits are checked at accept: past
// max_connections, or past [limits] connections_per_client for one client
// (an IPv4 address or IPv6 /64), the new connection is closed at once (RFC
// 7766 section 6.2.2), with one warning per client per minute.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/accept_pause.hpp"
#include "core/connection_slots.hpp"
#include "core/log.hpp"
#include "core/log_limiter.hpp"
#include "dns/zone_holder.hpp"

namespace mxlab::dns {

class Forwarder;

struct TcpLimits {
    std::chrono::seconds idle_timeout{10};  // RFC 7766 6.2.3: seconds, not minutes
    // However busy, a connection ends after this (NSD's tcp-timeout is 120 s
    // of idleness; a query every 9 s must not hold a slot for good).
    std::chrono::seconds max_lifetime{120};
    std::size_t max_connections = 512;
};

class TcpServer {
public:
    TcpServer(asio::io_context& io, ZoneHolder& zones, Logger& log, TcpLimits limits = {})
        : io_(io), zones_(zones), log_(log), limits_(limits) {}
    ~TcpServer() { stop(); }

    // Opens, binds and listens; throws std::runtime_error naming the address.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port);
    // Queries the responder leaves to the forwarder (dns/forward.hpp) go to
    // `f`, which must outlive the connections; none: they get no reply.
    void set_forwarder(Forwarder* f) { forwarder_ = f; }
    void start();
    // Stops accepting and closes open connections.
    void stop();
    // [limits] connections_per_client; a reload sets it for the next connections.
    void set_connections_per_client(std::size_t n) { per_client_limit_ = n; }

private:
    struct Connection;
    asio::awaitable<void> serve(std::shared_ptr<Connection> conn);
    asio::awaitable<void> watchdog(std::shared_ptr<Connection> conn);
    void release(const std::shared_ptr<Connection>& conn);
    void take(StrandSocket socket);

    asio::io_context& io_;
    ZoneHolder& zones_;
    Logger& log_;
    TcpLimits limits_;
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
    std::mutex mutex_;
    std::set<std::shared_ptr<Connection>> connections_;
    ConnectionSlots<config::IpAddr> slots_;  // per client scope and in all, under mutex_
    std::atomic<std::size_t> per_client_limit_{50};
    LogLimiter<config::IpAddr> refusals_;
    std::atomic<bool> stopping_{false};
    Forwarder* forwarder_ = nullptr;
};

}  // namespace mxlab::dns
