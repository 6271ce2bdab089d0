// The SMTP servers: one coroutine per connection driving an smtp::Session; see server.hpp.
#include "mail/smtp/server.hpp"

#include <array>
#include <tuple>
#include <cstdio>
#include <ctime>

#include "config/asio_address.hpp"
#include "mail/tcp.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::smtp {

using asio::ip::tcp;

namespace {

bool ip_less(const config::IpAddr& a, const config::IpAddr& b) {
    return std::tie(a.v6, a.bytes) < std::tie(b.v6, b.bytes);
}

std::string_view port_name(Port p) {
    switch (p) {
    case Port::mx: return "smtp";
    case Port::submission: return "submission";
    case Port::smtps: return "smtps";
    }
    return "smtp";
}

}  // namespace

struct Server::Listener {
    Listener(asio::io_context& io, Port k) : acceptor(io), kind(k) {}
    tcp::acceptor acceptor;
    Port kind;
};

struct Server::Connection {
    Connection(tcp::socket s, std::shared_ptr<const Snapshot> snap, Port k)
        : snapshot(std::move(snap)),
          tls_context(snapshot->tls ? snapshot->tls : std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server)),
          stream(std::move(s), *tls_context),
          deadline(stream.get_executor()),
          kind(k) {}

    tcp::socket& socket() { return stream.next_layer(); }

    std::shared_ptr<const Snapshot> snapshot;
    std::shared_ptr<asio::ssl::context> tls_context;  // outlives the stream that uses it
    asio::ssl::stream<tcp::socket> stream;
    asio::steady_timer deadline;
    Port kind;
    bool tls = false;
    bool busy = false;  // a message is being stored: finish its reply before closing
    config::IpAddr client;
    std::uint16_t client_port = 0;
};

Server::Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, Logger& log, ServerLimits limits)
    : io_(io), store_(store), throttle_(throttle), log_(log), limits_(limits), per_client_(ip_less),
      id_prefix_(static_cast<std::uint32_t>(std::time(nullptr))) {}

Server::~Server() { stop(); }

void Server::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind) {
    for (const auto& a : addresses) {
        auto l = std::make_unique<Listener>(io_, kind);
        l->acceptor = mail::open_listener(io_, a, port, port_name(kind));
        listeners_.push_back(std::move(l));
    }
}

void Server::set_snapshot(std::shared_ptr<const Snapshot> snapshot) {
    std::lock_guard lock(mutex_);
    snapshot_ = std::move(snapshot);
}

std::shared_ptr<const Snapshot> Server::snapshot() const {
    std::lock_guard lock(mutex_);
    return snapshot_;
}

void Server::start() {
    for (auto& l : listeners_) {
        asio::co_spawn(io_, accept_loop(*l), [this](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                log_.error("smtp.accept", {{"error", ex.what()}});
            }
        });
    }
}

void Server::stop() {
    if (stopping_.exchange(true)) return;
    for (auto& l : listeners_) {
        asio::post(l->acceptor.get_executor(), [a = &l->acceptor] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    }
    std::lock_guard lock(mutex_);
    for (const auto& c : connections_) {
        asio::post(c->stream.get_executor(), [c] {
            if (c->busy) return;  // serve() closes it once the reply is out
            boost::system::error_code ignored;
            c->socket().close(ignored);
            c->deadline.cancel();
        });
    }
}

void Server::release(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(mutex_);
    connections_.erase(conn);
    auto it = per_client_.find(conn->client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

asio::awaitable<void> Server::accept_loop(Listener& listener) {
    while (!stopping_) {
        boost::system::error_code ec;
        auto socket = co_await listener.acceptor.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || stopping_) co_return;
            continue;  // EMFILE and friends: the next accept may work
        }
        auto snap = snapshot();
        if (!snap) continue;
        boost::system::error_code peer_ec;
        auto peer = socket.remote_endpoint(peer_ec);
        if (peer_ec) continue;
        socket.set_option(tcp::no_delay(true), peer_ec);
        auto conn = std::make_shared<Connection>(std::move(socket), snap, listener.kind);
        conn->client = config::from_asio(peer.address());
        conn->client_port = peer.port();
        {
            std::lock_guard lock(mutex_);
            connections_.insert(conn);
            ++per_client_[conn->client];
        }
        auto ex = conn->stream.get_executor();
        asio::co_spawn(ex, serve(conn), [this, conn](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    log_.error("smtp.session.failed", {{"client", conn->client.str()}, {"error", ex.what()}});
                }
            }
            boost::system::error_code ignored;
            conn->socket().close(ignored);
            conn->deadline.cancel();
            release(conn);
        });
        asio::co_spawn(ex, mail::watchdog(conn), asio::detached);
    }
}

asio::awaitable<void> Server::serve(std::shared_ptr<Connection> conn) {
    const auto& snap = *conn->snapshot;
    SessionSettings settings;
    settings.config = snap.config;
    settings.directory = snap.directory;
    settings.port = conn->kind;
    settings.tls_offered = snap.tls != nullptr;
    settings.limits = limits_.session;
    settings.new_id = [this] {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%08X%06llX", id_prefix_, static_cast<unsigned long long>(++next_id_));
        return std::string(buf);
    };
    boost::system::error_code ec;

    if (conn->kind == Port::smtps) {
        if (!snap.tls) co_return;
        conn->deadline.expires_after(limits_.tls_handshake_timeout);
        co_await conn->stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        conn->tls = true;
    }

    Session session(std::move(settings), Client{conn->client, conn->client_port}, conn->tls);
    {
        std::size_t per_client = 0, total = 0;
        {
            std::lock_guard lock(mutex_);
            per_client = per_client_[conn->client];
            total = connections_.size();
        }
        if (per_client > limits_.connections_per_client) {
            session.refuse("Error: too many connections from " + conn->client.str());
            log_.warn("smtp.limit", {{"client", conn->client.str()}, {"connections", per_client}});
        } else if (total > limits_.max_connections) {
            session.refuse("Error: too many connections; try again later");
        }
    }

    std::array<char, 16384> buf;
    for (;;) {
        auto action = session.next();
        if (!session.output().empty()) {
            conn->deadline.expires_after(limits_.command_timeout);
            auto out = asio::buffer(session.output());
            if (conn->tls)
                co_await asio::async_write(conn->stream, out, asio::redirect_error(asio::use_awaitable, ec));
            else
                co_await asio::async_write(conn->socket(), out, asio::redirect_error(asio::use_awaitable, ec));
            session.output().clear();
            if (ec) break;
        }
        if (stopping_ && action == Session::Action::read) break;
        if (action == Session::Action::close) break;
        if (action == Session::Action::read) {
            conn->deadline.expires_after(limits_.command_timeout);
            std::size_t n = conn->tls
                ? co_await conn->stream.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec))
                : co_await conn->socket().async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            session.receive(std::string_view(buf.data(), n));
        } else if (action == Session::Action::start_tls) {
            conn->deadline.expires_after(limits_.tls_handshake_timeout);
            co_await conn->stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                log_.info("smtp.tls.failed", {{"client", conn->client.str()}, {"error", ec.message()}});
                break;
            }
            conn->tls = true;
            session.tls_started();
        } else if (action == Session::Action::authenticate) {
            co_await authenticate(*conn, session);
        } else if (action == Session::Action::deliver) {
            conn->busy = true;
            co_await deliver(*conn, session);
            conn->busy = false;
        }
    }
    if (conn->tls && !ec) {
        conn->deadline.expires_after(std::chrono::seconds(5));
        co_await conn->stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Server::authenticate(Connection& conn, Session& session) {
    auto verdict = throttle_.check(conn.client);
    if (verdict.refuse) {
        log_.warn("smtp.auth.throttled", {{"client", conn.client.str()}});
        session.auth_result(Session::AuthOutcome::throttled);
        co_return;
    }
    if (verdict.delay.count() > 0) {
        asio::steady_timer t(conn.stream.get_executor(), verdict.delay);
        boost::system::error_code ec;
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    // A crypt hash takes milliseconds: check it on the store's pool, off the network thread.
    const auto& creds = session.credentials();
    const auth::Directory& dir = *conn.snapshot->directory;
    auto check = [&](store::Store&) { return dir.authenticate(creds.authcid, creds.password); };
    auto user = co_await store_.run(check);
    if (user) {
        throttle_.succeeded(conn.client);
        log_.info("smtp.auth", {{"client", conn.client.str()}, {"user", *user}, {"status", "ok"}});
        session.auth_result(Session::AuthOutcome::ok, *user);
    } else {
        throttle_.failed(conn.client);
        log_.warn("smtp.auth", {{"client", conn.client.str()}, {"login", creds.authcid}, {"status", "failed"}});
        session.auth_result(Session::AuthOutcome::bad_credentials);
    }
}

asio::awaitable<void> Server::deliver(Connection& conn, Session& session) {
    Transaction& txn = session.transaction();
    store::Envelope env;
    env.local_users = txn.local_users;
    env.sender = txn.sender.address;
    env.remote_recipients = txn.remote;
    auto result = co_await store_.deliver(env, txn.message);
    if (!result) {
        log_.error("smtp.store.failed", {{"id", txn.id}, {"client", conn.client.str()}, {"error", result.error().message}});
        session.delivered(result.error().message);
        co_return;
    }
    // Postfix-style: one line for the message, one per recipient.
    log_.info("smtp.accepted", {{"id", txn.id},
                                {"client", conn.client.str()},
                                {"from", "<" + txn.sender.address + ">"},
                                {"size", txn.message.size()},
                                {"nrcpt", txn.recipients.size()},
                                {"user", session.user()},
                                {"tls", conn.tls ? "yes" : "no"}});
    const auto& r = *result;
    for (std::size_t i = 0; i < r.local.size(); ++i) {
        log_.info("smtp.delivered", {{"id", txn.id},
                                     {"to", "<" + r.local[i].user + ">"},
                                     {"mailbox", "INBOX"},
                                     {"uid", r.local[i].uid},
                                     {"status", "delivered"}});
    }
    for (const auto& a : txn.remote) {
        log_.info("smtp.queued", {{"id", txn.id},
                                  {"to", "<" + a + ">"},
                                  {"queue_id", r.queued ? *r.queued : 0},
                                  {"status", "queued"}});
    }
    if (r.queued && on_queued_) on_queued_();
    session.delivered({});
}

}  // namespace mxlab::smtp
