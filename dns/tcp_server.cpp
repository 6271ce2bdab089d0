// DNS over TCP: one coroutine per connection on its own strand, with a
// watchdog that closes the socket when the idle deadline passes.
#include "dns/tcp_server.hpp"

#include <stdexcept>

#include "core/asio_address.hpp"
#include "dns/forwarder.hpp"
#include "dns/responder.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

using asio::ip::tcp;

struct TcpServer::Connection {
    Connection(tcp::socket s, config::IpAddr c) : socket(std::move(s)), deadline(socket.get_executor()), client(c) {}
    tcp::socket socket;
    asio::steady_timer deadline;
    config::IpAddr client;
    Responder responder;
};


void TcpServer::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port) {
    for (const auto& a : addresses) {
        tcp::endpoint ep(to_asio(a), port);
        auto acc = std::make_unique<tcp::acceptor>(io_);
        boost::system::error_code ec;
        acc->open(ep.protocol(), ec);
        if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
        if (!ec && a.v6) acc->set_option(asio::ip::v6_only(true), ec);
        if (!ec) acc->bind(ep, ec);
        if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            throw std::runtime_error("cannot listen for DNS (TCP) on " + config::Endpoint{a, port}.str() + ": " + ec.message() +
                                     (ec == asio::error::access_denied
                                          ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
                                          : ""));
        }
        acceptors_.push_back(std::move(acc));
    }
}

void TcpServer::start() {
    for (auto& acc : acceptors_) {
        auto take = [this](StrandSocket socket) { this->take(std::move(socket)); };
        asio::co_spawn(io_, accept_each(*acc, io_, log_, "dns.tcp", stopping_, std::move(take)), [this](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log_.error("dns.tcp.accept", {{"error", ex.what()}});
            }
        });
    }
}

void TcpServer::stop() {
    if (stopping_.exchange(true)) return;
    for (auto& acc : acceptors_) {
        asio::post(acc->get_executor(), [a = acc.get()] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    }
    std::lock_guard lock(mutex_);
    for (const auto& c : connections_) {
        asio::post(c->socket.get_executor(), [c] {
            boost::system::error_code ignored;
            c->socket.close(ignored);
            c->deadline.cancel();
        });
    }
}

void TcpServer::take(StrandSocket socket) {
    // A client that reset the connection before it was taken has no peer address: nothing to serve.
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    auto conn = std::make_shared<Connection>(std::move(socket), from_asio(peer.address()));
    const auto scope = conn->client.client_scope();
    std::size_t mine = 0, total = 0;
    bool admitted = false;
    {
        std::lock_guard lock(mutex_);
        mine = slots_.held(scope);
        total = slots_.size();
        admitted = slots_.take(scope, per_client_limit_, limits_.max_connections) == ConnectionSlots<config::IpAddr>::Admission::ok;
        if (admitted) connections_.insert(conn);
    }
    if (!admitted) {
        conn->socket.close(ec);  // closing the socket is the answer (RFC 7766 6.2.2)
        if (auto n = refusals_.note(scope)) {
            log_.warn("dns.tcp.limit", {{"client", conn->client.str()}, {"refused", n}, {"client_connections", mine},
                                        {"connections", total}});
        }
        return;
    }
    // Counted from here: a throw before serve() runs gives the slot back at once.
    struct Slot {
        TcpServer& server;
        std::shared_ptr<Connection> conn;
        bool kept = false;
        ~Slot() {
            if (!kept) server.release(conn);
        }
    } slot{*this, conn};
    auto ex = conn->socket.get_executor();
    // Whatever ends serve(), a throw included, the connection gives back its slot.
    asio::co_spawn(ex, serve(conn), [this, conn](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log_.error("dns.tcp.session.failed", {{"client", conn->client.str()}, {"error", ex.what()}});
            }
        }
        release(conn);
    });
    slot.kept = true;
    asio::co_spawn(ex, watchdog(conn), asio::detached);
}

void TcpServer::release(const std::shared_ptr<Connection>& conn) {
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    conn->deadline.cancel();
    std::lock_guard lock(mutex_);
    if (!connections_.erase(conn)) return;
    slots_.give_back(conn->client.client_scope());
}

asio::awaitable<void> TcpServer::watchdog(std::shared_ptr<Connection> conn) {
    while (conn->socket.is_open()) {
        boost::system::error_code ec;
        co_await conn->deadline.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (conn->deadline.expiry() <= asio::steady_timer::clock_type::now()) {
            conn->socket.close(ec);
            co_return;
        }
    }
}

asio::awaitable<void> TcpServer::serve(std::shared_ptr<Connection> conn) {
    std::vector<std::uint8_t> query;
    QueryContext ctx{Transport::tcp, conn->client};
    boost::system::error_code ec;
    const auto end_of_life = asio::steady_timer::clock_type::now() + limits_.max_lifetime;
    for (;;) {
        const auto now = asio::steady_timer::clock_type::now();
        if (now >= end_of_life) break;
        conn->deadline.expires_at(std::min(now + limits_.idle_timeout, end_of_life));
        std::uint8_t len_buf[2];
        co_await asio::async_read(conn->socket, asio::buffer(len_buf), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        std::size_t len = (std::size_t(len_buf[0]) << 8) | len_buf[1];
        query.resize(len);
        co_await asio::async_read(conn->socket, asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        auto zones = zones_.get();
        if (!zones) break;
        // One query may take several messages (AXFR); each goes out with its length.
        auto reply = conn->responder.respond(*zones, query, ctx);
        std::vector<std::uint8_t> forwarded;
        if (const ForwardQuery* fq = conn->responder.forward_query(); fq && forwarder_) {
            // One query at a time per connection, forwarded or not: replies stay in order.
            conn->deadline.expires_after(limits_.idle_timeout);
            forwarded = co_await forwarder_->resolve(*fq);
            reply = forwarded;
        }
        while (!reply.empty() && !ec) {
            conn->deadline.expires_after(limits_.idle_timeout);
            std::uint8_t hdr[2] = {std::uint8_t(reply.size() >> 8), std::uint8_t(reply.size())};
            std::array<asio::const_buffer, 2> bufs{asio::buffer(hdr), asio::buffer(reply.data(), reply.size())};
            co_await asio::async_write(conn->socket, bufs, asio::redirect_error(asio::use_awaitable, ec));
            if (!ec) reply = conn->responder.transfer_in_progress() ? conn->responder.next_transfer_message(*zones)
                                                                     : std::span<const std::uint8_t>{};
        }
        if (ec) break;
    }
}

}  // namespace mxlab::dns
