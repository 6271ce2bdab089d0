// The SMTP servers: one coroutine per connection driving an smtp::Session; see server.hpp.
#include "mail/smtp/server.hpp"

#include <optional>
#include <tuple>
#include <utility>

#include "core/asio_address.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::smtp {

using asio::ip::tcp;

namespace {

std::string_view port_name(Port p) {
    switch (p) {
    case Port::mx: return "smtp";
    case Port::submission: return "submission";
    case Port::smtps: return "smtps";
    }
    return "smtp";
}

}  // namespace

Server::Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
               Logger& log, ServerLimits limits)
    : TcpServer(io, log, "smtp"), store_(store), throttle_(throttle), passwords_(passwords), limits_(limits), ids_(IdMaker::from_os()) {}

void Server::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind) {
    listen(addresses, port, static_cast<int>(kind), port_name(kind));
}

void Server::log_refusals(const mail::net::Connection& conn, Session& session) {
    // Postfix-style, one line per refused command, with what the student needs to see why.
    for (const auto& r : session.refusals()) {
        const std::string_view stage = stage_name(r.stage);
        if (r.stage == Refusal::Stage::rcpt) {
            log_.info("smtp.rejected", {{"stage", stage}, {"client", conn.client.str()}, {"helo", session.helo()},
                                        {"from", r.from}, {"to", r.to}, {"reply", r.reply}});
        } else if (r.stage == Refusal::Stage::auth) {
            log_.info("smtp.rejected", {{"stage", stage}, {"client", conn.client.str()}, {"helo", session.helo()},
                                        {"user", r.user}, {"reply", r.reply}});
        } else {
            log_.info("smtp.rejected", {{"stage", stage}, {"client", conn.client.str()}, {"helo", session.helo()},
                                        {"from", r.from}, {"reply", r.reply}});
        }
    }
    session.refusals().clear();
}

std::shared_ptr<mail::net::Connection> Server::make_connection(tcp::socket socket, std::shared_ptr<const Snapshot> snapshot, int kind) {
    return std::make_shared<mail::net::Connection>(std::move(socket), std::move(snapshot), kind);
}

std::string Server::refusal(const Snapshot& snapshot, int kind, std::string_view why) const {
    if (static_cast<Port>(kind) == Port::smtps) return {};
    // RFC 5321 section 3.8: 421 and close; the client tries again later.
    return "421 4.7.0 " + snapshot.config->appliance.hostname + " Error: " + std::string(why) + "; try again later\r\n";
}

// The session as the shared driver runs it: an action that needs the store
// or a password check runs at the next step, after the replies before it are
// out, as a client that pipelines expects.
struct Server::Dialog : mail::net::SessionDialog<Session> {
    using Need = mail::net::TcpServer::Need;
    Server& server;
    mail::net::Connection& conn;
    Staging staging;
    std::optional<Session::Action> pending;

    asio::awaitable<Need> step() {
        if (pending) {
            const auto action = *std::exchange(pending, std::nullopt);
            if (action == Session::Action::authenticate) {
                co_await server.authenticate(conn, session);
            } else if (action == Session::Action::store_part) {
                co_await server.store_part(session, staging);
            } else if (action == Session::Action::deliver) {
                conn.busy = true;
                co_await server.deliver(conn, session, staging);
                conn.busy = false;
            }
        }
        const auto action = session.next();
        server.log_refusals(conn, session);  // auth_result() and delivered() add theirs before this next()
        // A message refused after some of it was staged (size, smuggling, hops, a failed part): drop its chunks now.
        if (staging && session.transaction().stored == 0) co_await server.drop_staged(staging);
        switch (action) {
        case Session::Action::read: co_return Need::read;
        case Session::Action::close: co_return Need::close;
        case Session::Action::start_tls: co_return Need::start_tls;
        default: pending = action; co_return Need::write;
        }
    }
};

asio::awaitable<void> Server::serve(std::shared_ptr<mail::net::Connection> conn) {
    const auto kind = static_cast<Port>(conn->kind);
    const auto& snap = *conn->snapshot;
    SessionSettings settings;
    settings.config = snap.config;
    settings.directory = snap.directory;
    settings.port = kind;
    settings.tls_offered = snap.tls != nullptr;
    settings.limits = limits_.session;
    settings.new_id = [this] { return ids_.next(); };

    if (kind == Port::smtps) {
        if (!snap.tls) co_return;
        boost::system::error_code ec;
        co_await conn->handshake(limits_.tls_handshake_timeout, ec);
        if (ec) co_return;
    }

    Session session(std::move(settings), Client{conn->client, conn->client_port}, conn->tls());
    Dialog dialog{{session}, *this, *conn, {}, {}};
    co_await drive(*conn, dialog, {limits_.write_timeout, limits_.tls_handshake_timeout});
    co_await drop_staged(dialog.staging);  // a message cut off mid-data
}

asio::awaitable<void> Server::authenticate(mail::net::Connection& conn, Session& session) {
    const auto& creds = session.credentials();
    if (auto locked = co_await pass_throttle(conn, throttle_, creds.authcid)) {
        session.auth_throttled(*locked);
        co_return;
    }
    // A crypt hash takes milliseconds: checked on the password pool, off the network and store threads.
    auto verdict = co_await passwords_.check(conn.snapshot->directory, creds.authcid, creds.password);
    const auto& user = verdict.user;
    if (!verdict.checked) {
        log_.warn("smtp.auth", {{"client", conn.client.str()}, {"login", creds.authcid}, {"status", "busy"}});
        session.auth_result(Session::AuthOutcome::unavailable);
    } else if (user) {
        login_succeeded(conn, throttle_, creds.authcid);
        log_.info("smtp.auth", {{"client", conn.client.str()}, {"user", *user}, {"status", "ok"}});
        session.auth_result(Session::AuthOutcome::ok, *user);
    } else {
        log_.warn("smtp.auth", {{"client", conn.client.str()}, {"login", creds.authcid}, {"status", "failed"}});
        session.auth_result(Session::AuthOutcome::bad_credentials);
    }
}

asio::awaitable<void> Server::drop_staged(Staging& staging) {
    // Deleting the chunks is a store write: on the pool, not on this network thread.
    if (staging) co_await store_.run([&](store::Store&) { return staging.reset(), 0; });
}

asio::awaitable<void> Server::store_part(Session& session, Staging& staging) {
    Transaction& txn = session.transaction();
    auto append = [&](store::Store& s) -> store::Status {
        if (txn.stored == 0) staging.emplace(s.stage_message());  // the first part starts the message's blob
        else if (!staging) return store::make_error(store::Errc::invalid, "the message's first parts are missing");
        return staging->append(txn.message);
    };
    auto written = co_await store_.run(append);
    if (!written) log_.error("smtp.store.failed", {{"id", txn.id}, {"error", written.error().message}});
    session.part_stored(written.ok());
}

asio::awaitable<void> Server::deliver(mail::net::Connection& conn, Session& session, Staging& staging) {
    Transaction& txn = session.transaction();
    store::Envelope env;
    env.local_users = txn.local_users;
    env.sender = txn.sender.address;
    env.remote_recipients = txn.remote;
    store::Result<store::DeliverResult> result = store::make_error(store::Errc::invalid, "no message");
    if (txn.stored == 0) {
        result = co_await store_.deliver(env, txn.message);
    } else {
        // The rest of a message whose first parts are staged already (Session::Limits::store_part_at).
        auto finish = [&](store::Store&) -> store::Result<store::StagedBlob> {
            auto w = std::move(staging);
            staging.reset();
            if (!w) return store::make_error(store::Errc::invalid, "the message's first parts are missing");
            if (auto s = w->append(txn.message); !s) return s.error();
            return w->finish();
        };
        auto staged = co_await store_.run(finish);
        if (staged) result = co_await store_.deliver(env, std::move(*staged));
        else result = staged.error();
    }
    if (!result) {
        log_.error("smtp.store.failed", {{"id", txn.id}, {"client", conn.client.str()}, {"error", result.error().message}});
        session.delivered(result.error().message);
        co_return;
    }
    // Postfix-style: one line for the message, one per recipient.
    log_.info("smtp.accepted", {{"id", txn.id},
                                {"client", conn.client.str()},
                                {"from", "<" + txn.sender.address + ">"},
                                {"size", txn.size()},
                                {"nrcpt", txn.recipients.size()},
                                {"user", session.user()},
                                {"tls", conn.tls() ? "yes" : "no"}});
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
