// The outbound SMTP client: one coroutine drives a ClientSession over a socket, with a deadline per step; see client.hpp.
#include "mail/smtp/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>

#include "core/asio_address.hpp"
#include "mail/codec/dot_stuffer.hpp"
#include "mail/smtp/reply_reader.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::smtp {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kDataChunk = 64 * 1024;

std::string peer_name(const std::string& host, const config::IpAddr& address) { return host + "[" + address.str() + "]"; }

// What the server's certificate says, for the log: a lab's self-signed one is
// accepted (opportunistic TLS, RFC 3207 section 4.1 leaves the policy to us),
// and the log shows what it was.
std::string certificate_summary(SSL* ssl) {
    std::string out;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert) {
        char name[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof name - 1);
        out = std::string("CN=") + name;
        X509_free(cert);
    } else {
        out = "no certificate";
    }
    long verify = SSL_get_verify_result(ssl);
    out += verify == X509_V_OK ? ", verified" : std::string(", not verified: ") + X509_verify_cert_error_string(verify);
    return out;
}

}  // namespace

struct OutboundClient::Connection {
    Connection(asio::any_io_executor ex, std::shared_ptr<asio::ssl::context> ctx)
        : tls_context(ctx ? std::move(ctx) : std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client)),
          stream(tcp::socket(ex), *tls_context),
          deadline(ex) {}

    tcp::socket& socket() { return stream.next_layer(); }

    void close() {
        boost::system::error_code ignored;
        socket().close(ignored);
        deadline.cancel();
    }

    std::shared_ptr<asio::ssl::context> tls_context;  // outlives the stream
    asio::ssl::stream<tcp::socket> stream;
    asio::steady_timer deadline;
    bool tls = false;
    bool timed_out = false;
};

std::shared_ptr<asio::ssl::context> make_client_tls_context() {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                     asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    // Verified against the system's CAs only to log the result; the handshake
    // never fails on it (Postfix's smtp_tls_security_level = may).
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
}

void OutboundClient::stop() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& c : connections_) asio::post(c->stream.get_executor(), [c] { c->close(); });
}

void OutboundClient::forget(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mutex_);
    connections_.erase(c);
}

asio::awaitable<HostAttempt> OutboundClient::send(const ClientOptions& options, std::string host, config::IpAddr address,
                                          const std::vector<OutboundMessage>& messages) {
    HostAttempt attempt;
    attempt.relay = peer_name(host, address) + ":" + std::to_string(options.port);
    attempt.results.resize(messages.size());
    auto ex = co_await asio::this_coro::executor;
    auto conn = std::make_shared<Connection>(ex, options.tls);
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            attempt.error = "mail system is stopping";
            co_return attempt;
        }
        connections_.insert(conn);
    }

    // A watchdog closes the socket when the current step's deadline passes.
    auto arm = [&conn](std::chrono::seconds limit) { conn->deadline.expires_after(limit); };
    auto watchdog = [](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
        for (;;) {
            boost::system::error_code ec;
            co_await c->deadline.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (!c->socket().is_open()) co_return;
            if (c->deadline.expiry() <= Clock::now()) {
                c->timed_out = true;
                c->close();
                co_return;
            }
        }
    };
    arm(options.connect_timeout);
    asio::co_spawn(ex, watchdog(conn), asio::detached);

    const tcp::endpoint target(to_asio(address), options.port);
    boost::system::error_code ec;
    conn->socket().open(target.protocol(), ec);
    for (const auto& source : options.sources) {
        if (ec || source.v6 != address.v6) continue;
        conn->socket().bind(tcp::endpoint(to_asio(source), 0), ec);
        break;
    }
    if (!ec) co_await conn->socket().async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        attempt.error = "connect to " + attempt.relay + ": " + (conn->timed_out ? std::string("Connection timed out") : ec.message());
        conn->close();
        forget(conn);
        co_return attempt;
    }
    conn->socket().set_option(tcp::no_delay(true), ec);

    ClientSession session(options.helo, peer_name(host, address), options.tls != nullptr);
    ReplyReader reader;
    std::array<char, 8192> buf;
    std::size_t current = 0;  // index of the message last given to the session
    bool given = false;

    auto failure = [&conn](const boost::system::error_code&) {
        return conn->timed_out ? ClientSession::Failure::timeout : ClientSession::Failure::closed;
    };
    auto write = [&](std::string_view bytes) -> asio::awaitable<boost::system::error_code> {
        boost::system::error_code wec;
        if (conn->tls)
            co_await asio::async_write(conn->stream, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, wec));
        else
            co_await asio::async_write(conn->socket(), asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, wec));
        co_return wec;
    };

    auto action = session.start();
    for (;;) {
        using Kind = ClientSession::Action::Kind;
        if (action.kind == Kind::read) {
            arm(action.timeout);
            if (!action.output.empty()) {
                if (auto wec = co_await write(action.output)) {
                    action = session.failed(failure(wec), wec.message());
                    continue;
                }
            }
            std::optional<Reply> reply = reader.next();
            boost::system::error_code rec;
            while (!reply && !reader.failed()) {
                std::size_t n = conn->tls
                    ? co_await conn->stream.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, rec))
                    : co_await conn->socket().async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, rec));
                if (rec) break;
                reader.feed(std::string_view(buf.data(), n));
                reply = reader.next();
            }
            if (reply) {
                action = session.on_reply(*reply);
            } else if (reader.failed()) {
                action = session.failed(ClientSession::Failure::protocol, reader.error());
            } else {
                action = session.failed(failure(rec), rec.message());
            }
        } else if (action.kind == Kind::start_tls) {
            if (reader.pending()) {
                // RFC 3207 section 4.2 / CVE-2011-0411: nothing may ride in before the handshake.
                action = session.tls_done(false, "the server sent data after its 220 to STARTTLS");
                continue;
            }
            arm(action.timeout);
            SSL_set_tlsext_host_name(conn->stream.native_handle(), host.c_str());
            boost::system::error_code tec;
            co_await conn->stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, tec));
            if (tec) {
                log_.info("smtp.client.tls.failed", {{"relay", attempt.relay}, {"error", tec.message()}});
                action = session.tls_done(false, conn->timed_out ? "TLS handshake timed out" : tec.message());
                continue;
            }
            conn->tls = true;
            attempt.tls = true;
            SSL* ssl = conn->stream.native_handle();
            log_.info("smtp.client.tls", {{"relay", attempt.relay},
                                          {"protocol", SSL_get_version(ssl)},
                                          {"cipher", SSL_get_cipher_name(ssl)},
                                          {"certificate", certificate_summary(ssl)}});
            action = session.tls_done(true);
        } else if (action.kind == Kind::send_data) {
            if (!messages[current].body) {
                action = session.failed(ClientSession::Failure::local, "the message body is missing");
                continue;
            }
            const std::string& body = *messages[current].body;
            DotStuffer stuffer;
            std::string out;
            boost::system::error_code dec;
            for (std::size_t at = 0; at < body.size() && !dec; at += kDataChunk) {
                out.clear();
                stuffer.feed(std::string_view(body).substr(at, kDataChunk), out);
                arm(action.timeout);
                dec = co_await write(out);
            }
            if (!dec) {
                arm(action.timeout);
                dec = co_await write(stuffer.finish());
            }
            action = dec ? session.failed(failure(dec), dec.message()) : session.data_sent();
        } else if (action.kind == Kind::idle) {
            if (given) {
                if (auto r = session.take_results()) attempt.results[current] = std::move(*r);
                ++current;
            }
            if (current < messages.size() && !conn->timed_out) {
                const auto& m = messages[current];
                ClientMessage cm;
                cm.sender = m.sender;
                cm.recipients = m.recipients;
                cm.size = m.body ? m.body->size() : 0;
                cm.eight_bit = m.eight_bit;
                given = true;
                action = session.send(std::move(cm));
            } else {
                action = session.quit();
            }
        } else {  // close
            if (given && current < messages.size()) {
                if (auto r = session.take_results()) attempt.results[current] = std::move(*r);
            }
            if (const auto& f = session.host_failure()) attempt.error = f->text;
            break;
        }
    }
    if (conn->tls && conn->socket().is_open()) {
        // close_notify, briefly: the peer has our QUIT already.
        arm(std::chrono::seconds(2));
        boost::system::error_code sec;
        co_await conn->stream.async_shutdown(asio::redirect_error(asio::use_awaitable, sec));
    }
    conn->close();
    forget(conn);
    co_return attempt;
}

}  // namespace mxlab::smtp
