// The POP3 servers on ports 110 (STLS) and 995 (implicit TLS): sockets, TLS, timeouts, the maildrop lock and the store around pop3::Session.
//
// A connection is one coroutine on its own strand (mail/net/tcp_server.hpp). At login the server lists the user's INBOX once: that list
// is the maildrop for the whole session (RFC 1939 section 5: messages that
// arrive meanwhile wait for the next session). A message is streamed from the
// store chunk by chunk through the dot-stuffer, so a 50 MB RETR holds one
// chunk and its stuffed copy, not the message. Deletions are applied only in
// the UPDATE state, in one durable store write before the final +OK.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/pop3/session.hpp"
#include "mail/net/snapshot.hpp"
#include "mail/net/tcp_server.hpp"
#include "mail/store/async_store.hpp"

namespace mxlab::pop3 {

enum class Port { pop3, pop3s };  // 110 with STLS, 995 with TLS from the first byte

struct ServerLimits {
    // RFC 1939 section 3: an inactivity autologout timer of at least 10
    // minutes, for each command; a trickle gains nothing (mail/net/read_budget.hpp),
    // and a session ends after two hours, however busy. Under stress (past 80%
    // of pop3_connections), 30 s: a client that has its mail leaves anyway.
    mail::net::ReadBudget::Policy reads{std::chrono::seconds(600), 500, std::chrono::seconds(7200), std::chrono::seconds(30)};
    std::chrono::seconds write_timeout{600};
    // Counted from the accept: a lab client finishes in milliseconds, a silent one holds its slot no longer.
    std::chrono::seconds tls_handshake_timeout{20};
    std::size_t output_chunk = 64 * 1024;  // bytes gathered before a write while streaming a message
    Limits session;
};

// Which users' maildrops a POP3 session holds (RFC 1939 section 8: the
// server "acquires an exclusive-access lock on the maildrop"). In memory:
// a lock dies with its connection, and with the process.
class MaildropLocks {
public:
    bool try_lock(const std::string& user);
    void unlock(const std::string& user);

private:
    std::mutex mutex_;
    std::set<std::string> held_;
};

class Server final : public mail::net::TcpServer {
public:
    Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
           Logger& log, ServerLimits limits = {});

    // Opens and binds a listener; throws std::runtime_error naming the address.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind);
    // start(), stop() (a connection applying its deletions finishes that
    // first) and set_snapshot() come from mail::net::TcpServer.

private:
    struct Connection;
    struct Dialog;
    std::shared_ptr<mail::net::Connection> make_connection(asio::ip::tcp::socket socket, std::shared_ptr<const mail::Snapshot> snapshot,
                                                      int kind) override;
    asio::awaitable<void> serve(std::shared_ptr<mail::net::Connection> conn) override;
    void on_close(mail::net::Connection& conn) override;
    std::size_t max_connections(const config::Limits& limits) const override { return limits.pop3_connections; }
    std::string refusal(const mail::Snapshot& snapshot, int kind, std::string_view why) const override;
    mail::net::ReadBudget::Policy read_policy() const override { return limits_.reads; }
    asio::awaitable<void> authenticate(Connection& conn, Session& session);
    asio::awaitable<bool> retrieve(Connection& conn, Session& session);
    asio::awaitable<void> update(Connection& conn, Session& session);
    asio::awaitable<bool> write(Connection& conn, std::string& bytes);
    void unlock(Connection& conn);  // frees the maildrop the connection holds, if any

    store::AsyncStore& store_;
    auth::LoginThrottle& throttle_;
    mail::net::PasswordChecks& passwords_;
    ServerLimits limits_;
    MaildropLocks locks_;
};

}  // namespace mxlab::pop3
