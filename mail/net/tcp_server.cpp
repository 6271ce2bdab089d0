// The mail servers' shared TCP side; see tcp_server.hpp.
#include "mail/net/tcp_server.hpp"

#include <array>
#include <span>

#include "core/asio_address.hpp"
#include "core/asio_ssl.hpp"
#include "mail/net/http_probe.hpp"
#include "mail/net/tcp.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::mail::net {

using asio::ip::tcp;

namespace {

// Where every connection on this thread reads: bytes go to the session before
// the coroutine next suspends, so no connection holds a buffer while idle.
std::span<char> read_buffer() {
    thread_local std::array<char, 16384> buffer;
    return buffer;
}

}  // namespace

Connection::Connection(tcp::socket s, std::shared_ptr<const Snapshot> snap, int k)
    : snapshot(std::move(snap)), deadline(s.get_executor()), kind(k), socket_(std::move(s)) {
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);  // receive() reads what is there, and waits only on would_block
}

void Connection::stressed() {
    if (!reading) return;
    budget.shorten(std::chrono::steady_clock::now() + budget.policy().stress_timeout);
    deadline.expires_at(budget.deadline());  // the watchdog waits again, for the nearer time
}

asio::awaitable<void> Connection::receive(const std::function<void(std::string_view)>& feed, boost::system::error_code& ec) {
    if (stress && stress->load()) budget.shorten(std::chrono::steady_clock::now() + budget.policy().stress_timeout);
    deadline.expires_at(budget.deadline());
    struct Reading {
        bool& flag;
        explicit Reading(bool& f) : flag(f) { flag = true; }
        ~Reading() { flag = false; }
    } reading_now(reading);
    // Read first, as Asio's own reads do: after a reply the next command is
    // often there already. Only when there is nothing does the coroutine
    // wait for the socket, and then it holds no buffer.
    bool wait = false;
    bool want_write = false;  // TLS may need to write (a key update) before it can read
    for (;;) {
        if (wait) {
            co_await socket_.async_wait(want_write ? tcp::socket::wait_write : tcp::socket::wait_read,
                                        asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
        }
        // From here to feed() nothing suspends: the thread's buffer is ours.
        const auto buffer = read_buffer();
        std::size_t n = 0;
        if (tls_) {
            n = tls_->read_now(asio::buffer(buffer.data(), buffer.size()), want_write, ec);
        } else {
            n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
            if (ec == asio::error::would_block) ec = {};
        }
        if (ec) co_return;
        if (n == 0) {  // nothing yet (for TLS: not a whole record)
            wait = true;
            continue;
        }
        budget.received(n, std::chrono::steady_clock::now());
        feed(std::string_view(buffer.data(), n));
        co_return;
    }
}

asio::awaitable<void> Connection::write(asio::const_buffer bytes, std::chrono::seconds timeout, boost::system::error_code& ec) {
    // A client that reads a trickle still gets no more than the session's time.
    deadline.expires_at(std::min(std::chrono::steady_clock::now() + timeout, budget.session_end()));
    if (tls_) co_await tls_->write(bytes, ec);
    else co_await asio::async_write(socket_, bytes, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) budget.answered(std::chrono::steady_clock::now());
}

asio::awaitable<void> Connection::handshake(std::chrono::seconds timeout, boost::system::error_code& ec) {
    deadline.expires_after(timeout);
    tls_ = std::make_unique<TlsSocket>(socket_, snapshot->tls->native_handle());
    co_await tls_->handshake(ec);
    if (!ec) tls_established_ = true;
}

asio::awaitable<void> Connection::shutdown() {
    if (!tls_established_ || !socket_.is_open()) co_return;
    deadline.expires_after(std::chrono::seconds(5));
    co_await tls_->shutdown();
}

struct TcpServer::Listener {
    Listener(tcp::acceptor a, int k) : acceptor(std::move(a)), kind(k) {}
    tcp::acceptor acceptor;
    int kind;
};

TcpServer::TcpServer(asio::io_context& io, Logger& log, std::string protocol) : io_(io), log_(log), protocol_(std::move(protocol)) {}

TcpServer::~TcpServer() { stop(); }

void TcpServer::listen(const std::vector<config::IpAddr>& addresses, std::uint16_t port, int kind, std::string_view what) {
    for (const auto& a : addresses) listeners_.push_back(std::make_unique<Listener>(open_listener(io_, a, port, what), kind));
}

void TcpServer::set_snapshot(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(snapshot);
}

std::shared_ptr<const Snapshot> TcpServer::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void TcpServer::start() {
    for (auto& l : listeners_) {
        auto take = [this, kind = l->kind](StrandSocket socket) { this->take(std::move(socket), kind); };
        asio::co_spawn(io_, accept_each(l->acceptor, io_, log_, protocol_, stopping_, std::move(take)), [this](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log_.error(protocol_ + ".accept", {{"error", ex.what()}});
            }
        });
    }
}

void TcpServer::stop() {
    if (stopping_.exchange(true)) return;
    for (auto& l : listeners_) {
        asio::post(l->acceptor.get_executor(), [a = &l->acceptor] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    }
    std::lock_guard lock(mutex_);
    for (const auto& c : connections_) {
        asio::post(c->socket().get_executor(), [c] {
            if (c->busy) return;  // serve() closes it once the reply is out
            boost::system::error_code ignored;
            c->socket().close(ignored);
            c->deadline.cancel();
        });
    }
}

void TcpServer::release(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(mutex_);
    if (!connections_.erase(conn)) return;
    slots_.give_back(conn->client.client_scope());
    on_close(*conn);
    gauge_stress(max_connections(conn->snapshot->config->limits));
}

void TcpServer::gauge_stress(std::size_t limit) {
    const auto turned = stress_gauge_.update(connections_.size(), limit);
    if (!turned) return;
    stress_ = *turned;
    // Postfix logs its stress at warning too: the teacher should see who fills the server.
    log_.log(*turned ? LogLevel::warn : LogLevel::info, protocol_ + ".stress",
             {{"state", *turned ? "on" : "off"}, {"connections", connections_.size()}, {"limit", limit}});
    if (*turned) {
        for (const auto& c : connections_) asio::post(c->socket().get_executor(), [c] { c->stressed(); });
    }
}

void TcpServer::log_refusal(const Snapshot& snapshot, const config::IpAddr& client) {
    const auto& limits = snapshot.config->limits;
    if (auto n = refusals_.note(client.client_scope())) {
        log_.warn(protocol_ + ".limit", {{"client", client.str()},
                                         {"refused", n},
                                         {"connections_per_client", limits.connections_per_client},
                                         {"max_connections", max_connections(limits)}});
    }
}

void TcpServer::take(StrandSocket socket, int kind) {
    auto snap = snapshot();
    if (!snap) return;
    // A client that reset the connection before it was taken has no peer address: nothing to serve.
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    const auto client = from_asio(peer.address());
    const auto scope = client.client_scope();
    using Admission = ConnectionSlots<config::IpAddr>::Admission;
    const auto& limits = snap->config->limits;
    Admission admission;
    {
        std::lock_guard lock(mutex_);
        admission = slots_.take(scope, limits.connections_per_client, max_connections(limits));
    }
    if (admission != Admission::ok) {
        const std::string why = admission == Admission::per_client ? "too many connections from " + client.str()
                                                                   : std::string("too many connections");
        // A short line into a fresh socket's send buffer does not block; if it would, the client loses only the text.
        if (auto text = refusal(*snap, kind, why); !text.empty()) {
            socket.non_blocking(true, ec);
            if (!ec) socket.write_some(asio::buffer(text), ec);
        }
        socket.close(ec);
        log_refusal(*snap, client);
        return;
    }
    // The slot is counted: it goes back on every way out until serve() has started.
    struct Slot {
        TcpServer& server;
        config::IpAddr scope;
        std::shared_ptr<Connection> conn;
        bool kept = false;
        ~Slot() {
            if (kept) return;
            std::lock_guard lock(server.mutex_);
            if (conn && server.connections_.erase(conn)) server.on_close(*conn);
            server.slots_.give_back(scope);
        }
    } slot{*this, scope, nullptr};
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = make_connection(std::move(socket), snap, kind);
    conn->client = client;
    conn->client_port = peer.port();
    conn->budget = ReadBudget(read_policy(), std::chrono::steady_clock::now());
    conn->stress = &stress_;
    {
        std::lock_guard lock(mutex_);
        connections_.insert(conn);
        slot.conn = conn;
        on_open(*conn);
        gauge_stress(max_connections(limits));
    }
    auto ex = conn->socket().get_executor();
    asio::co_spawn(ex, serve(conn), [this, conn](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log_.error(protocol_ + ".session.failed", {{"client", conn->client.str()}, {"error", ex.what()}});
            }
        }
        boost::system::error_code ignored;
        conn->socket().close(ignored);
        conn->deadline.cancel();
        release(conn);
    });
    slot.kept = true;  // release() gives it back from now on
    asio::co_spawn(ex, watchdog(conn), asio::detached);
}

asio::awaitable<std::optional<std::chrono::seconds>> TcpServer::pass_throttle(Connection& conn, auth::LoginThrottle& throttle,
                                                                                 std::string_view login) {
    const auto policy = auth::LoginThrottle::Policy::from(conn.snapshot->config->limits);
    auto verdict = throttle.attempt(conn.client, login, policy);
    if (verdict.refuse) {
        if (auto n = throttled_.note(conn.client.client_scope())) {
            log_.warn(protocol_ + ".auth.throttled", {{"client", conn.client.str()},
                                                      {"login", login},
                                                      {"retry_after", verdict.retry_after.count()},
                                                      {"refused", n}});
        }
        co_return verdict.retry_after;
    }
    if (verdict.delay.count() > 0) {
        asio::steady_timer t(conn.socket().get_executor(), verdict.delay);
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return std::nullopt;
}

void TcpServer::login_succeeded(Connection& conn, auth::LoginThrottle& throttle, std::string_view login) {
    throttle.succeeded(conn.client, login);
}

bool TcpServer::screen_input(Connection& conn, std::string_view bytes, const std::function<void(std::string_view)>& feed) {
    if (conn.screened) {
        feed(bytes);
        return true;
    }
    conn.head.append(bytes);
    switch (net::HttpProbe::judge(conn.head)) {
    case net::HttpProbe::Verdict::undecided: return true;
    case net::HttpProbe::Verdict::http:
        // As Postfix: one line, and the socket closes before anything the page sent runs as a command.
        log_.warn(protocol_ + ".http_request", {{"client", conn.client.str()}});
        return false;
    case net::HttpProbe::Verdict::mail: break;
    }
    conn.screened = true;
    feed(conn.head);
    std::string().swap(conn.head);
    return true;
}

}  // namespace mxlab::mail::net
