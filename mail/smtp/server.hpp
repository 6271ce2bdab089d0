// The SMTP servers on ports 25, 587 (STARTTLS) and 465 (implicit TLS): sockets, TLS, timeouts and the store around smtp::Session.
//
// A connection is one coroutine on its own strand (mail/net/tcp_server.hpp), with
// read and write deadlines of 5 minutes (RFC 5321 section 4.5.3.2). Passwords are checked on their own pool
// (mail/net/password_checks.hpp), and messages stored, off the network threads (AsyncStore), and a reply that acknowledges a message is written only
// after the store has synced it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/smtp/message_id.hpp"
#include "mail/smtp/session.hpp"
#include "mail/net/snapshot.hpp"
#include "mail/net/tcp_server.hpp"
#include "mail/store/async_store.hpp"

namespace mxlab::smtp {

using Snapshot = mail::Snapshot;  // shared with POP3 (and IMAP)

struct ServerLimits {
    // RFC 5321 section 4.5.3.2.7's 5 minutes per command, with Postfix's
    // smtpd_min_data_rate (500 bytes/s) keeping a long DATA alive, and an hour
    // for the whole session (mail/net/read_budget.hpp). Under stress (past 80%
    // of smtp_connections), 10 s for a command, as Postfix's smtpd_timeout
    // ${stress?10}.
    mail::net::ReadBudget::Policy reads{std::chrono::seconds(300), 500, std::chrono::seconds(3600), std::chrono::seconds(10)};
    std::chrono::seconds write_timeout{300};
    // Counted from the accept: a lab client finishes in milliseconds, a silent one holds its slot no longer.
    std::chrono::seconds tls_handshake_timeout{20};
    Limits session;
};

class Server final : public mail::net::TcpServer {
public:
    Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
           Logger& log, ServerLimits limits = {});

    // Opens and binds a listener; throws std::runtime_error naming the address.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind);
    // Called (on a network thread) after a message with remote recipients is queued.
    void on_queued(std::function<void()> hook) { on_queued_ = std::move(hook); }
    // start(), stop() (a message being stored gets its reply first) and
    // set_snapshot() come from mail::net::TcpServer.

private:
    std::shared_ptr<mail::net::Connection> make_connection(asio::ip::tcp::socket socket, std::shared_ptr<const Snapshot> snapshot,
                                                      int kind) override;
    asio::awaitable<void> serve(std::shared_ptr<mail::net::Connection> conn) override;
    std::size_t max_connections(const config::Limits& limits) const override { return limits.smtp_connections; }
    std::string refusal(const Snapshot& snapshot, int kind, std::string_view why) const override;
    mail::net::ReadBudget::Policy read_policy() const override { return limits_.reads; }
    // The message being received, as far as it is in the store already.
    using Staging = std::optional<store::BlobWriter>;
    struct Dialog;
    // One "smtp.rejected" line per Session::refusals() entry, which it clears.
    void log_refusals(const mail::net::Connection& conn, Session& session);
    asio::awaitable<void> authenticate(mail::net::Connection& conn, Session& session);
    asio::awaitable<void> store_part(Session& session, Staging& staging);
    asio::awaitable<void> drop_staged(Staging& staging);
    asio::awaitable<void> deliver(mail::net::Connection& conn, Session& session, Staging& staging);

    store::AsyncStore& store_;
    auth::LoginThrottle& throttle_;
    mail::net::PasswordChecks& passwords_;
    ServerLimits limits_;
    std::function<void()> on_queued_;
    IdMaker ids_;
};

}  // namespace mxlab::smtp
