// The POP3 servers: one coroutine per connection driving a pop3::Session; see server.hpp.
#include "mail/pop3/server.hpp"

#include <optional>
#include <utility>

#include "mail/codec/dot_stuffer.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::pop3 {

using asio::ip::tcp;

namespace {

constexpr std::string_view kInbox = "INBOX";

}  // namespace

bool MaildropLocks::try_lock(const std::string& user) {
    std::lock_guard lock(mutex_);
    return held_.insert(user).second;
}

void MaildropLocks::unlock(const std::string& user) {
    std::lock_guard lock(mutex_);
    held_.erase(user);
}

struct Server::Connection : mail::net::Connection {
    using mail::net::Connection::Connection;
    std::string locked;            // the user whose maildrop this connection holds
    store::MailboxRef inbox;       // the INBOX the login listed: RETR and UPDATE act on it or on nothing
    std::vector<store::Uid> uids;  // the maildrop's store UIDs, in the session's order
    // For the logout line, as Dovecot's "top=n/bytes, retr=n/bytes, del=n/total".
    std::uint64_t retr = 0, retr_bytes = 0, top = 0, top_bytes = 0, deleted = 0;
};

Server::Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
               Logger& log, ServerLimits limits)
    : TcpServer(io, log, "pop3"), store_(store), throttle_(throttle), passwords_(passwords), limits_(limits) {}

void Server::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind) {
    listen(addresses, port, static_cast<int>(kind), kind == Port::pop3 ? "pop3" : "pop3s");
}

std::shared_ptr<mail::net::Connection> Server::make_connection(tcp::socket socket, std::shared_ptr<const mail::Snapshot> snapshot, int kind) {
    return std::make_shared<Connection>(std::move(socket), std::move(snapshot), kind);
}

void Server::unlock(Connection& conn) {
    if (conn.locked.empty()) return;
    locks_.unlock(conn.locked);
    conn.locked.clear();
}

void Server::on_close(mail::net::Connection& conn) { unlock(static_cast<Connection&>(conn)); }

std::string Server::refusal(const mail::Snapshot&, int kind, std::string_view why) const {
    if (static_cast<Port>(kind) == Port::pop3s) return {};
    std::string text(why);
    text[0] = 'T';  // "Too many connections ...", as the other -ERR texts start
    return "-ERR [SYS/TEMP] " + text + "; try again later.\r\n";  // RFC 3206 section 4
}

asio::awaitable<bool> Server::write(Connection& conn, std::string& bytes) {
    boost::system::error_code ec;
    co_await conn.write(asio::buffer(bytes), limits_.write_timeout, ec);
    bytes.clear();
    co_return !ec;
}

// The session as the shared driver runs it: a password check or the
// deletions run at the next step, after the replies before them are out; a
// message is streamed at once (retrieve() writes the reply before it).
struct Server::Dialog : mail::net::SessionDialog<Session> {
    using Need = mail::net::TcpServer::Need;
    Server& server;
    Connection& conn;
    bool quit = false;
    std::optional<Session::Action> pending;

    asio::awaitable<Need> step() {
        if (pending) {
            const auto action = *std::exchange(pending, std::nullopt);
            if (action == Session::Action::authenticate) {
                co_await server.authenticate(conn, session);
            } else if (action == Session::Action::update) {
                conn.busy = true;
                co_await server.update(conn, session);
                conn.busy = false;
            }
        }
        for (;;) {
            const auto action = session.next();
            switch (action) {
            case Session::Action::close:
                // RFC 1939 section 6: the lock goes before the last reply, so a
                // client that logs in again once it has read "+OK" finds it free.
                server.unlock(conn);
                quit = session.state() == State::update;
                co_return Need::close;
            case Session::Action::retrieve:
                if (!co_await server.retrieve(conn, session)) co_return Need::close;
                continue;
            case Session::Action::read: co_return Need::read;
            case Session::Action::write: co_return Need::write;
            case Session::Action::start_tls: co_return Need::start_tls;
            default: pending = action; co_return Need::write;
            }
        }
    }
};

asio::awaitable<void> Server::serve(std::shared_ptr<mail::net::Connection> base) {
    auto conn = std::static_pointer_cast<Connection>(base);
    const auto& snap = *conn->snapshot;
    if (static_cast<Port>(conn->kind) == Port::pop3s) {
        if (!snap.tls) co_return;
        boost::system::error_code ec;
        co_await conn->handshake(limits_.tls_handshake_timeout, ec);
        if (ec) co_return;
    }

    SessionSettings settings;
    settings.config = snap.config;
    settings.tls_offered = snap.tls != nullptr;
    settings.tls_active = conn->tls();
    settings.limits = limits_.session;
    Session session(std::move(settings));
    Dialog dialog{{session}, *this, *conn, false, {}};
    co_await drive(*conn, dialog, {limits_.write_timeout, limits_.tls_handshake_timeout});
    if (!session.user().empty()) {
        log_.info("pop3.logout", {{"client", conn->client.str()},
                                  {"user", session.user()},
                                  {"top", std::to_string(conn->top) + "/" + std::to_string(conn->top_bytes)},
                                  {"retr", std::to_string(conn->retr) + "/" + std::to_string(conn->retr_bytes)},
                                  {"del", std::to_string(conn->deleted) + "/" + std::to_string(session.maildrop().size())},
                                  {"status", dialog.quit ? "quit" : "disconnected"}});
    }
}

asio::awaitable<void> Server::authenticate(Connection& conn, Session& session) {
    const auto& creds = session.credentials();
    if (auto locked = co_await pass_throttle(conn, throttle_, creds.authcid)) {
        session.auth_throttled(*locked);
        co_return;
    }

    // The password check (a crypt hash takes milliseconds) on the password
    // pool, so that a burst of logins keeps no store read waiting; then the
    // lock and the listing of INBOX in one trip to the store's pool.
    const std::string client = conn.client.str();
    auto verdict = co_await passwords_.check(conn.snapshot->directory, creds.authcid, creds.password);
    if (!verdict.checked) {
        log_.warn("pop3.auth", {{"client", client}, {"login", creds.authcid}, {"status", "busy"}});
        session.auth_result(Session::AuthOutcome::unavailable);
        co_return;
    }
    if (!verdict.user) {
        log_.warn("pop3.auth", {{"client", client}, {"login", creds.authcid}, {"status", "failed"}});
        session.auth_result(Session::AuthOutcome::bad_credentials);
        co_return;
    }
    struct Login {
        Session::AuthOutcome outcome = Session::AuthOutcome::unavailable;
        std::string user;
        std::vector<Message> maildrop;
        std::vector<store::Uid> uids;
        store::MailboxRef inbox;
        std::string error;
    };
    auto login = [&](store::Store& s) {
        Login r;
        r.user = *verdict.user;
        if (!locks_.try_lock(r.user)) {
            r.outcome = Session::AuthOutcome::in_use;
            return r;
        }
        // Until the connection holds it (Connection::locked), the lock is
        // released on every way out but success: an error, or a throw
        // (bad_alloc), which AsyncStore::run hands to the coroutine.
        struct Release {
            MaildropLocks& locks;
            std::string user;
            bool keep = false;
            ~Release() {
                if (!keep) locks.unlock(user);
            }
        } release{locks_, r.user};
        auto inbox = s.open_mailbox(r.user, kInbox);
        if (!inbox && inbox.error().code == store::Errc::not_found) {
            // A user who never got mail has no mailboxes yet (store.hpp).
            if (auto made = s.ensure_user(r.user); made) inbox = s.open_mailbox(r.user, kInbox);
        }
        auto messages = inbox ? s.messages(inbox->ref) : store::Result<std::vector<store::MessageInfo>>(inbox.error());
        if (!messages) {
            r.outcome = Session::AuthOutcome::unavailable;
            r.error = messages.error().message;
            return r;
        }
        r.maildrop.reserve(messages->size());
        r.uids.reserve(messages->size());
        for (const auto& m : *messages) {
            r.maildrop.push_back(Message{m.size, store::uidl(inbox->ref.uidvalidity, m.uid)});
            r.uids.push_back(m.uid);
        }
        r.inbox = std::move(inbox->ref);
        r.outcome = Session::AuthOutcome::ok;
        release.keep = true;
        return r;
    };
    Login r = co_await store_.run(login);

    switch (r.outcome) {
    case Session::AuthOutcome::ok:
        conn.locked = r.user;  // first: from here on_close() frees the lock, whatever throws
        login_succeeded(conn, throttle_, creds.authcid);
        conn.uids = std::move(r.uids);
        conn.inbox = std::move(r.inbox);
        log_.info("pop3.login", {{"client", client}, {"user", r.user}, {"messages", r.maildrop.size()}, {"tls", conn.tls() ? "yes" : "no"}});
        session.auth_result(r.outcome, r.user, std::move(r.maildrop));
        break;
    case Session::AuthOutcome::in_use:
        // The password was right: that login's own count goes, as for any right password, and nothing else.
        login_succeeded(conn, throttle_, creds.authcid);
        log_.info("pop3.login", {{"client", client}, {"user", r.user}, {"status", "in-use"}});
        session.auth_result(r.outcome);
        break;
    default:
        login_succeeded(conn, throttle_, creds.authcid);  // the store failed after a right password
        log_.error("pop3.store.failed", {{"client", client}, {"user", r.user}, {"error", r.error}});
        session.auth_result(r.outcome);
        break;
    }
}

// Streams one message (RETR) or its head (TOP). false: the connection cannot go on.
asio::awaitable<bool> Server::retrieve(Connection& conn, Session& session) {
    const auto want = session.retrieval();
    const store::Uid uid = conn.uids.at(want.index);
    // Open the message and read its first chunk in one trip to the pool: a
    // small message then needs no other.
    struct Opened {
        std::optional<store::MessageReader> reader;
        std::string_view first;
        std::string error;
    };
    const std::string& user = session.user();
    auto open = [&](store::Store& s) {
        Opened o;
        auto reader = s.open_message(conn.inbox, uid);
        if (!reader) {
            o.error = reader.error().message;
            return o;
        }
        o.reader.emplace(std::move(*reader));
        auto chunk = o.reader->next();
        if (!chunk) {
            o.reader.reset();
            o.error = chunk.error().message;
            return o;
        }
        o.first = *chunk;
        return o;
    };
    Opened o = co_await store_.run(open);
    session.retrieve_started(o.reader.has_value());
    if (!o.reader) {
        log_.warn("pop3.retrieve.failed", {{"user", user}, {"uid", uid}, {"error", o.error}});
        co_return true;  // the session queued "-ERR" and goes on
    }

    std::string out = std::move(session.output());
    session.output().clear();
    smtp::DotStuffer stuffer;
    std::optional<TopCut> cut;
    if (want.top_lines) cut.emplace(*want.top_lines);
    std::uint64_t sent = 0;
    std::string_view chunk = o.first;
    for (;;) {
        if (cut) chunk = chunk.substr(0, cut->take(chunk));
        sent += chunk.size();
        stuffer.feed(chunk, out);
        const bool end = (cut && cut->done()) || o.reader->position() >= o.reader->size();
        if (end) break;
        if (out.size() >= limits_.output_chunk && !co_await write(conn, out)) co_return false;
        auto next = co_await store_.next(*o.reader);
        if (!next || next->empty()) {
            // Mid-message there is no way to say -ERR: hang up rather than send a cut message as whole.
            log_.error("pop3.retrieve.failed", {{"user", user}, {"uid", uid}, {"error", next ? "message shorter than its size" : next.error().message}});
            co_return false;
        }
        chunk = *next;
    }
    out += stuffer.finish();
    if (!co_await write(conn, out)) co_return false;
    if (cut) {
        ++conn.top;
        conn.top_bytes += sent;
    } else {
        ++conn.retr;
        conn.retr_bytes += sent;
    }
    session.retrieved();
    co_return true;
}

asio::awaitable<void> Server::update(Connection& conn, Session& session) {
    std::vector<store::Uid> uids;
    for (std::size_t i : session.deleted()) uids.push_back(conn.uids.at(i));
    auto removed = co_await store_.remove_messages(conn.inbox, store::uid_set(uids));
    if (!removed && removed.code() == store::Errc::gone) {
        log_.warn("pop3.update.gone", {{"client", conn.client.str()}, {"user", session.user()}, {"error", removed.error().message}});
        session.updated(Session::UpdateOutcome::mailbox_gone);
        co_return;
    }
    if (!removed) {
        log_.error("pop3.store.failed", {{"user", session.user()}, {"error", removed.error().message}});
        session.updated(Session::UpdateOutcome::failed);
        co_return;
    }
    // Messages already gone (expunged over IMAP meanwhile) count as deleted: the user wanted them gone.
    conn.deleted = uids.size();
    session.updated(Session::UpdateOutcome::done);
}

}  // namespace mxlab::pop3
