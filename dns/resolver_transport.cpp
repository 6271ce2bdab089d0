// The resolver's I/O: one query to one server over UDP or TCP, each with a timer that cancels it.
#include "dns/resolver_transport.hpp"

#include <sys/random.h>

#include <array>
#include <memory>
#include <random>

#include "core/asio_address.hpp"

namespace mxlab::dns::client {

namespace {

using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

// Socket and timer shared with the timer's handler: when the timer fires just
// as the reply arrives, its handler may run after the coroutine has finished,
// and must still find a socket to cancel.
template <class Socket>
struct Io {
    explicit Io(const asio::any_io_executor& ex) : socket(ex), timer(ex) {}
    Socket socket;
    asio::steady_timer timer;
    bool timed_out = false;
};

template <class Socket>
void arm(const std::shared_ptr<Io<Socket>>& io, std::chrono::milliseconds timeout) {
    io->timer.expires_after(timeout);
    io->timer.async_wait([io](const error_code& ec) {
        if (ec) return;  // cancelled: the exchange ended first
        io->timed_out = true;
        error_code ignored;
        io->socket.cancel(ignored);
    });
}

template <class Socket>
Exchange failure(const std::shared_ptr<Io<Socket>>& io, const error_code& ec, std::chrono::milliseconds timeout) {
    Exchange ex;
    io->timer.cancel();
    if (io->timed_out) {
        ex.timed_out = true;
        ex.error = "timed out after " + std::to_string(timeout.count()) + " ms";
    } else if (ec == asio::error::connection_refused) {
        ex.error = "connection refused";  // UDP: the ICMP port unreachable a connected socket reports
    } else {
        ex.error = ec.message();
    }
    return ex;
}

Exchange from_parsed(ParsedReply p) {
    Exchange ex;
    if (p.status == ParsedReply::Status::ok) {
        ex.ok = true;
        ex.reply = std::move(p.reply);
    } else if (p.status == ParsedReply::Status::malformed) {
        ex.error = std::move(p.error);
    } else {
        ex.error = "reply does not match the query";
    }
    return ex;
}

}  // namespace

std::uint16_t random_id() {
    std::uint16_t id = 0;
    if (::getrandom(&id, sizeof id, 0) == static_cast<ssize_t>(sizeof id)) return id;
    std::random_device rd;  // getrandom cannot fail on a running Linux, but be safe
    return static_cast<std::uint16_t>(rd());
}

Source Source::from_listen(const std::vector<config::IpAddr>& listen) {
    Source s;
    int n4 = 0, n6 = 0;
    for (const config::IpAddr& a : listen) {
        if (a.is_unspecified()) return {};  // every address: the kernel's choice is as good
        (a.v6 ? n6 : n4)++;
        (a.v6 ? s.v6 : s.v4) = a;
    }
    if (n4 != 1) s.v4.reset();
    if (n6 != 1) s.v6.reset();
    return s;
}

std::optional<config::IpAddr> Source::for_server(const config::Endpoint& server) const {
    const std::optional<config::IpAddr>& s = server.addr.v6 ? v6 : v4;
    // A loopback source cannot reach a server elsewhere.
    if (s && to_asio(*s).is_loopback() != to_asio(server.addr).is_loopback()) return std::nullopt;
    return s;
}

namespace {

template <class Socket>
void bind_source(Socket& socket, const std::optional<config::IpAddr>& source, error_code& ec) {
    if (!ec && source) socket.bind({to_asio(*source), 0}, ec);
}

}  // namespace

asio::awaitable<Exchange> udp_exchange(config::Endpoint server, Question q, std::vector<std::uint8_t> query,
                                       std::chrono::milliseconds timeout, std::optional<config::IpAddr> source) {
    auto io = std::make_shared<Io<udp::socket>>(co_await asio::this_coro::executor);
    const udp::endpoint peer(to_asio(server.addr), server.port);
    error_code ec;
    // Connected: the kernel drops datagrams from other sources, and an ICMP
    // port unreachable ends the wait at once instead of at the timeout.
    io->socket.open(peer.protocol(), ec);
    bind_source(io->socket, source, ec);
    if (!ec) io->socket.connect(peer, ec);
    if (ec) co_return failure(io, ec, timeout);
    arm(io, timeout);
    co_await io->socket.async_send(asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failure(io, ec, timeout);

    std::vector<std::uint8_t> buf(65535);
    for (;;) {
        udp::endpoint from;
        const std::size_t n = co_await io->socket.async_receive_from(asio::buffer(buf), from,
                                                                     asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return failure(io, ec, timeout);
        if (from != peer) continue;  // RFC 5452 9.1: the server's address and port
        ParsedReply p = parse_reply({buf.data(), n}, q);
        if (p.status == ParsedReply::Status::unrelated) continue;  // a stale or forged reply: keep listening
        io->timer.cancel();
        Exchange ex = from_parsed(std::move(p));
        if (ex.ok) {
            buf.resize(n);
            ex.wire = std::move(buf);
        }
        co_return ex;
    }
}

asio::awaitable<Exchange> tcp_exchange(config::Endpoint server, Question q, std::vector<std::uint8_t> query,
                                       std::chrono::milliseconds timeout, std::optional<config::IpAddr> source) {
    auto io = std::make_shared<Io<tcp::socket>>(co_await asio::this_coro::executor);
    const tcp::endpoint peer(to_asio(server.addr), server.port);
    error_code ec;
    if (source) {
        io->socket.open(peer.protocol(), ec);
        bind_source(io->socket, source, ec);
        if (ec) co_return failure(io, ec, timeout);
    }
    arm(io, timeout);
    co_await io->socket.async_connect(peer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failure(io, ec, timeout);

    // Length and message in one write (RFC 7766 8: avoid a separate small segment).
    const std::array<std::uint8_t, 2> len{static_cast<std::uint8_t>(query.size() >> 8),
                                          static_cast<std::uint8_t>(query.size())};
    const std::array<asio::const_buffer, 2> out{asio::buffer(len), asio::buffer(query)};
    co_await asio::async_write(io->socket, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failure(io, ec, timeout);

    std::array<std::uint8_t, 2> reply_len{};
    co_await asio::async_read(io->socket, asio::buffer(reply_len), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failure(io, ec, timeout);
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(reply_len[0]) << 8 | reply_len[1]);
    co_await asio::async_read(io->socket, asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return failure(io, ec, timeout);
    io->timer.cancel();
    io->socket.close(ec);
    Exchange ex = from_parsed(parse_reply(buf, q));
    if (ex.ok) ex.wire = std::move(buf);
    co_return ex;
}

}  // namespace mxlab::dns::client
