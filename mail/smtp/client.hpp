// The outbound SMTP client: one connection to one MX host address, carrying one or more messages (smtp::ClientSession over Asio).
//
// RFC 5321 (timeouts of section 4.5.3.2 per command), RFC 3207 STARTTLS when
// offered (opportunistic: a lab's self-signed certificate is accepted, and
// what was presented is logged), RFC 2920 PIPELINING, RFC 1870 SIZE,
// RFC 6152 8BITMIME. Which host to try and what to do with the results is
// the queue runner's business (mail/queue/runner.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "core/log.hpp"
#include "mail/smtp/client_session.hpp"

namespace mxlab::smtp {

struct OutboundMessage {
    std::string sender;                   // "" for MAIL FROM:<> (bounces)
    std::vector<std::string> recipients;  // all for the same destination
    std::shared_ptr<const std::string> body;  // as stored: CRLF lines
    bool eight_bit = false;
};

using Outcome = ClientSession::Outcome;
using RecipientResult = ClientSession::Result;

struct HostAttempt {
    std::string relay;  // "mail.bigsky.com[127.0.2.10]:25"
    // Non-empty: the host failed (connect, greeting, EHLO, TLS, a lost
    // connection) and the messages without results should try the next host.
    std::string error;
    bool tls = false;
    // Per message, same order as given; nullopt: not attempted on this host.
    std::vector<std::optional<std::vector<RecipientResult>>> results;
};

struct ClientOptions {
    std::string helo;  // appliance.hostname
    std::uint16_t port = 25;
    std::chrono::seconds connect_timeout{30};  // Postfix's smtp_connect_timeout
    std::shared_ptr<asio::ssl::context> tls;   // null: no STARTTLS
    // Our own addresses (non-wildcard appliance.listen): connections leave
    // from the first of the destination's family, as Postfix's
    // smtp_bind_address, so peers see the lab address, not 127.0.0.1.
    std::vector<config::IpAddr> sources;
};

class OutboundClient {
public:
    explicit OutboundClient(Logger& log) : log_(log) {}

    // Connects to `address` (the MX host `host`) and sends `messages` over the
    // one connection, on the calling coroutine's executor.
    asio::awaitable<HostAttempt> send(const ClientOptions& options, std::string host, config::IpAddr address,
                                      const std::vector<OutboundMessage>& messages);

    // Closes every open connection: deliveries in flight end at once, their
    // recipients deferred.
    void stop();

private:
    struct Connection;
    void forget(const std::shared_ptr<Connection>& c);

    Logger& log_;
    std::mutex mutex_;
    std::set<std::shared_ptr<Connection>> connections_;
    bool stopping_ = false;
};

// A client TLS context for opportunistic STARTTLS: TLS 1.2+, no verification.
std::shared_ptr<asio::ssl::context> make_client_tls_context();

}  // namespace mxlab::smtp
