// What the SMTP and POP3 servers (and later IMAP) share: listeners, the accept loop with the connection limits, and one session driver: a connection per coroutine with its reads, writes, deadlines and TLS upgrade, and a stop that spares busy connections.
//
// A connection is one coroutine on its own strand (serve(), written by the
// protocol's server, which runs its session through drive()), with
// net::watchdog closing the socket when a read or write deadline passes. The
// protocol's server adds its own per-connection state by deriving from
// Connection, and its own bookkeeping in on_open() and on_close().
//
// Memory: an idle connection holds its socket, its session and the two
// coroutine frames, not a read buffer: it reads into its thread's buffer and
// hands the bytes to the session at once (the session keeps what it has not
// consumed); with nothing to read it waits for the socket, holding nothing.
// TLS is made only when it starts (tls_socket.hpp) and keeps no buffers
// while idle. 4 KB per idle plaintext POP3 connection, 18 KB over TLS, where
// an Asio ssl::stream from the accept and a 16 KB buffer cost 59 and 76 KB
// (tests/bench/idle).
//
// Limits are enforced at accept, before any TLS handshake or other work, so a
// client holding silent connections costs a descriptor each and nothing more:
// [limits] connections_per_client (per IPv4 address or IPv6 /64) and the
// protocol's total (smtp_connections, pop3_connections), read from the
// current snapshot so a reload applies to the next connection. A refused
// client gets the protocol's "try later" line on a plaintext port, a closed
// socket on an implicit-TLS one; one warning per client per minute says how
// many were refused. Past 80% of the protocol's total the server is under
// stress (stress.hpp): idle timeouts shrink to the read policy's
// stress_timeout, for the clients already waiting too, and
// "<protocol>.stress state=on|off" says when it starts and ends.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/accept_pause.hpp"
#include "core/connection_slots.hpp"
#include "core/log.hpp"
#include "core/log_limiter.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/net/read_budget.hpp"
#include "mail/net/stress.hpp"
#include "mail/net/tls_socket.hpp"
#include "mail/net/snapshot.hpp"

namespace mxlab::mail::net {

using mail::Snapshot;

struct Connection {
    Connection(asio::ip::tcp::socket s, std::shared_ptr<const Snapshot> snap, int kind);
    virtual ~Connection() = default;

    asio::ip::tcp::socket& socket() { return socket_; }
    bool tls() const { return tls_established_; }

    // Reads what the client has sent, waiting (without a buffer) until there
    // is something, and hands it to `feed` before anything else runs on this
    // thread. The wait ends by the budget's deadline; ec says how it went.
    asio::awaitable<void> receive(const std::function<void(std::string_view)>& feed, boost::system::error_code& ec);
    // Through TLS once it is on. Moves the deadline by `timeout` and, once
    // written, gives the client a new command's budget.
    asio::awaitable<void> write(asio::const_buffer bytes, std::chrono::seconds timeout, boost::system::error_code& ec);
    // The server side of a TLS handshake with the snapshot's context; on success tls() is true.
    asio::awaitable<void> handshake(std::chrono::seconds timeout, boost::system::error_code& ec);
    // A TLS close_notify when TLS is on, within 5 s.
    asio::awaitable<void> shutdown();

    std::shared_ptr<const Snapshot> snapshot;  // its TLS context outlives the connection's TLS
    asio::steady_timer deadline;
    int kind;               // which listener: the protocol server's Port value
    bool busy = false;      // mid-write to the store: stop() lets serve() finish the reply and close
    config::IpAddr client;
    std::uint16_t client_port = 0;
    ReadBudget budget;
    // The client's first bytes, held until net::HttpProbe has judged them.
    std::string head;
    bool screened = false;
    const std::atomic<bool>* stress = nullptr;  // the server's: while set, a command gets the policy's stress_timeout
    bool reading = false;                       // waiting for the client: what stress may cut short

    // The server came under stress: a client that owes a command gets the
    // shorter time from now. On the connection's strand.
    void stressed();

private:
    asio::ip::tcp::socket socket_;
    std::unique_ptr<TlsSocket> tls_;  // from the handshake on
    bool tls_established_ = false;
};

// The part of a protocol for TcpServer::drive() that its session answers itself.
template <class Session>
struct SessionDialog {
    Session& session;
    std::string& output() { return session.output(); }
    void receive(std::string_view bytes) { session.receive(bytes); }
    void tls_started() { session.tls_started(); }
};

class TcpServer {
public:
    // `protocol` names the log events: "<protocol>.accept", "<protocol>.session.failed".
    TcpServer(asio::io_context& io, Logger& log, std::string protocol);
    virtual ~TcpServer();
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;

    void set_snapshot(std::shared_ptr<const Snapshot> snapshot);
    void start();
    // Stops accepting and closes the connections, but not a busy one.
    void stop();

protected:
    // Opens and binds a listener on each address; throws std::runtime_error
    // "cannot listen for <what> on <address>: ...".
    void listen(const std::vector<config::IpAddr>& addresses, std::uint16_t port, int kind, std::string_view what);
    std::shared_ptr<const Snapshot> snapshot() const;
    bool stopping() const { return stopping_; }
    // Before a password check for `login` (as the client typed it): waits out
    // the delay `throttle` sets for this client and login. When it refuses the
    // attempt outright (logged as "<protocol>.auth.throttled"), how long the
    // lock-out has left, for the caller's "try again in ..." reply.
    asio::awaitable<std::optional<std::chrono::seconds>> pass_throttle(Connection& conn, auth::LoginThrottle& throttle,
                                                                       std::string_view login);
    // After a right password: forgets this login's failures (a wrong one was
    // counted when the attempt began, in pass_throttle).
    void login_succeeded(Connection& conn, auth::LoginThrottle& throttle, std::string_view login);
    // Hands what a read brought to `feed` (the session's receive()), but
    // holds the client's first bytes until they are known not to start an
    // HTTP request. false: they do; it is logged ("<protocol>.http_request")
    // and the caller hangs up without running any of it.
    bool screen_input(Connection& conn, std::string_view bytes, const std::function<void(std::string_view)>& feed);

    // What the session driver asks of the protocol after each step.
    enum class Need {
        read,       // send the output, then read and hand the bytes to receive()
        write,      // send the output, then step again
        start_tls,  // send the output, start TLS, then tls_started() (on failure: logged, hang up)
        close,      // send the output and hang up
    };
    struct Timeouts {
        std::chrono::seconds write;
        std::chrono::seconds tls_handshake;
    };
    // The session driver: runs `protocol` (with std::string& output(),
    // asio::awaitable<Need> step(), void receive(std::string_view) and void
    // tls_started(), and optionally bool interrupted(): a wait for the client
    // it cut short on purpose) on `conn` until it says close, the client goes, a
    // deadline passes, or the server stops while it waits for a command.
    template <class Protocol>
    asio::awaitable<void> drive(Connection& conn, Protocol& protocol, Timeouts timeouts) {
        boost::system::error_code ec;
        const std::function<void(std::string_view)> feed = [&protocol](std::string_view b) { protocol.receive(b); };
        bool http = false;
        // Named, not a temporary in the co_await below (g++ 12; see store/async_store.hpp).
        const std::function<void(std::string_view)> screened = [&](std::string_view b) { http = !screen_input(conn, b, feed); };
        for (;;) {
            const Need need = co_await protocol.step();
            if (!protocol.output().empty()) {
                co_await conn.write(asio::buffer(protocol.output()), timeouts.write, ec);
                protocol.output().clear();
                if (ec) break;
            }
            if (need == Need::close) break;
            if (need == Need::read) {
                if (stopping()) break;
                co_await conn.receive(screened, ec);
                // IMAP IDLE: news for the client cut the wait short; nothing was read.
                if constexpr (requires { protocol.interrupted(); }) {
                    if (ec == asio::error::operation_aborted && protocol.interrupted() && !stopping()) {
                        ec = {};
                        continue;
                    }
                }
                if (ec || http) break;
            } else if (need == Need::start_tls) {
                co_await conn.handshake(timeouts.tls_handshake, ec);
                if (ec) {
                    log_.info(protocol_ + ".tls.failed", {{"client", conn.client.str()}, {"error", ec.message()}});
                    break;
                }
                protocol.tls_started();
            }
        }
        if (!ec) co_await conn.shutdown();
    }

    virtual std::shared_ptr<Connection> make_connection(asio::ip::tcp::socket socket, std::shared_ptr<const Snapshot> snapshot,
                                                        int kind) = 0;
    virtual asio::awaitable<void> serve(std::shared_ptr<Connection> conn) = 0;
    // The protocol's total from [limits].
    virtual std::size_t max_connections(const config::Limits& limits) const = 0;
    // What a refused client reads before the socket closes ("421 ...", "-ERR
    // ..."), CRLF included, saying `why`; empty on a port where TLS comes first.
    virtual std::string refusal(const Snapshot& snapshot, int kind, std::string_view why) const = 0;
    virtual ReadBudget::Policy read_policy() const = 0;
    // Called with mutex_ held, once each.
    virtual void on_open(Connection&) {}
    virtual void on_close(Connection&) {}

    asio::io_context& io_;
    Logger& log_;
    std::string protocol_;
    mutable std::mutex mutex_;  // guards connections_ and what on_open/on_close keep
    std::set<std::shared_ptr<Connection>> connections_;

private:
    struct Listener;
    // Admits (or refuses) one accepted connection and starts serving it.
    void take(StrandSocket socket, int kind);

    void log_refusal(const Snapshot& snapshot, const config::IpAddr& client);
    void release(const std::shared_ptr<Connection>& conn);
    // After the count changed, with mutex_ held: the stress state, logged when it turns.
    void gauge_stress(std::size_t limit);

    std::vector<std::unique_ptr<Listener>> listeners_;
    std::shared_ptr<const Snapshot> snapshot_;
    ConnectionSlots<config::IpAddr> slots_;  // per client scope and in all, under mutex_
    LogLimiter<config::IpAddr> refusals_;   // "<protocol>.limit" lines
    LogLimiter<config::IpAddr> throttled_;  // "<protocol>.auth.throttled" lines
    StressGauge stress_gauge_;              // under mutex_
    std::atomic<bool> stress_{false};       // what the connections read
    std::atomic<bool> stopping_{false};
};

}  // namespace mxlab::mail::net
