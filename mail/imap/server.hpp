// The IMAP servers on ports 143 (STARTTLS) and 993 (implicit TLS): framing, the not-authenticated state (LOGIN, AUTHENTICATE, STARTTLS), IDLE, and an imap::Session per logged-in connection.
//
// A connection is one coroutine on its own strand (mail/net/tcp_server.hpp).
// IDLE waits for the client and for the change feed at once without a
// second reader: the feed's news cancels the connection's wait for the
// socket (which has consumed nothing), the session writes what changed, and
// the wait starts again. An idle IMAP connection holds its socket, its
// session (the selected mailbox's view) and the frames, never a read buffer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/imap/reader.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/net/snapshot.hpp"
#include "mail/net/tcp_server.hpp"
#include "mail/store/async_store.hpp"

namespace mxlab::imap {

enum class Port { imap, imaps };  // 143 with STARTTLS, 993 with TLS from the first byte

struct ServerLimits {
    // RFC 9051 section 5.4: an autologout timer of at least 30 minutes (IDLE
    // clients renew every 29); under stress (past 80% of imap_connections)
    // 60 s. A desktop client stays connected all day: the session cap is a day.
    mail::net::ReadBudget::Policy reads{std::chrono::seconds(1800), 500, std::chrono::hours(24), std::chrono::seconds(60)};
    std::chrono::seconds write_timeout{600};
    std::chrono::seconds tls_handshake_timeout{20};
    ReaderLimits reader;             // max_append comes from [smtp] max_message_size at each connection
    int max_bad_commands = 20;       // in a row, then "* BYE" (Dovecot: imap_max_bad_commands = 20)
};

class Server final : public mail::net::TcpServer {
public:
    Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
           Logger& log, ServerLimits limits = {});

    // Opens and binds a listener; throws std::runtime_error naming the address.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind);

private:
    struct Connection;
    struct Dialog;
    std::shared_ptr<mail::net::Connection> make_connection(asio::ip::tcp::socket socket, std::shared_ptr<const mail::Snapshot> snapshot,
                                                      int kind) override;
    asio::awaitable<void> serve(std::shared_ptr<mail::net::Connection> conn) override;
    std::size_t max_connections(const config::Limits& limits) const override { return limits.imap_connections; }
    std::string refusal(const mail::Snapshot& snapshot, int kind, std::string_view why) const override;
    mail::net::ReadBudget::Policy read_policy() const override { return limits_.reads; }

    store::AsyncStore& store_;
    auth::LoginThrottle& throttle_;
    mail::net::PasswordChecks& passwords_;
    ServerLimits limits_;
};

}  // namespace mxlab::imap
