// The IMAP servers: one coroutine per connection; see server.hpp.
#include "mail/imap/server.hpp"

#include <optional>
#include <utility>

#include "core/ascii.hpp"
#include "mail/auth/sasl.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/line_ends.hpp"
#include "mail/imap/session.hpp"
#include "mail/store/subscription.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

using asio::ip::tcp;

namespace {

constexpr std::string_view kCapsBase = "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+";
constexpr std::string_view kCapsSession =
    "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE "
    "CONDSTORE QRESYNC ESEARCH SEARCHRES LIST-EXTENDED LIST-STATUS BINARY STATUS=SIZE UTF8=ACCEPT";
constexpr std::size_t kWriteAt = 64 * 1024;    // pipelined replies gathered before a write
constexpr std::size_t kStagePart = 256 * 1024;  // a big APPEND's bytes gathered before each store write

// What the change feed told an idling session, handed from the feed's thread to the connection's strand.
// `generation` tells a wait's completion from an older one's (a DONE cancels
// a wait whose completion may still be on its way while IDLE starts again).
struct IdleNews {
    std::optional<store::FeedUpdate> update;
    bool armed = false;
    std::uint64_t generation = 0;
};

}  // namespace

struct Server::Connection : mail::net::Connection {
    using mail::net::Connection::Connection;
};

Server::Server(asio::io_context& io, store::AsyncStore& store, auth::LoginThrottle& throttle, mail::net::PasswordChecks& passwords,
               Logger& log, ServerLimits limits)
    : TcpServer(io, log, "imap"), store_(store), throttle_(throttle), passwords_(passwords), limits_(limits) {}

void Server::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, Port kind) {
    listen(addresses, port, static_cast<int>(kind), kind == Port::imap ? "imap" : "imaps");
}

std::shared_ptr<mail::net::Connection> Server::make_connection(tcp::socket socket, std::shared_ptr<const mail::Snapshot> snapshot, int kind) {
    return std::make_shared<Connection>(std::move(socket), std::move(snapshot), kind);
}

std::string Server::refusal(const mail::Snapshot&, int kind, std::string_view why) const {
    if (static_cast<Port>(kind) == Port::imaps) return {};
    std::string text(why);
    text[0] = 'T';
    return "* BYE [UNAVAILABLE] " + text + "; try again later.\r\n";  // RFC 5530
}

// The connection as the shared driver runs it.
struct Server::Dialog {
    using Need = mail::net::TcpServer::Need;
    Server& server;
    std::shared_ptr<Connection> conn;
    CommandReader reader;
    std::string out;
    std::unique_ptr<Session> session;
    std::string login_client;
    bool tls_offered = false;
    bool require_tls = false;
    int bad = 0;
    bool logged_out = false;
    // AUTHENTICATE in progress
    std::optional<auth::SaslExchange> sasl;
    std::optional<Command> sasl_cmd;
    // IDLE in progress
    std::optional<std::string> idle_tag;
    std::shared_ptr<IdleNews> news = std::make_shared<IdleNews>();
    // A big APPEND being received: staged into the store a part at a time
    // (as SMTP's DATA is), so a connection holds at most kStagePart of it.
    std::optional<Command> append_cmd;
    std::string append_data;
    CrlfNormalizer append_crlf;
    std::optional<store::BlobWriter> staging;
    std::uint64_t append_size = 0;
    bool append_failed = false;

    std::string& output() { return out; }
    void receive(std::string_view bytes) { reader.feed(bytes); }
    void tls_started() {}
    // drive(): the wait for the client ended because the change feed had news for IDLE.
    bool interrupted() const { return news->update.has_value(); }

    std::string capabilities() const {
        std::string caps(session ? kCapsSession : kCapsBase);
        if (!session) {
            if (tls_offered && !conn->tls()) caps += " STARTTLS";
            if (require_tls && !conn->tls()) caps += " LOGINDISABLED";
            else caps += " AUTH=PLAIN";
        }
        return caps;
    }

    void reply(const std::string& tag, std::string_view status, std::string_view text) {
        out += tag.empty() ? "*" : tag;
        out += ' ';
        out += status;
        out += ' ';
        out += text;
        out += "\r\n";
    }

    // Counts a command the server could not take; false: too many, "* BYE" written.
    bool bad_command(const std::string& tag, std::string_view text) {
        reply(tag, "BAD", text);
        if (++bad < server.limits_.max_bad_commands) return true;
        out += "* BYE Too many invalid IMAP commands.\r\n";
        return false;
    }

    // Arms the feed for IDLE: its news lands in `news` on the connection's
    // strand and cancels the wait for the socket (IdleNews; server.hpp).
    void arm() {
        store::Subscription* watch = session ? session->watch() : nullptr;
        if (!watch || news->armed) return;
        news->armed = true;
        const std::uint64_t generation = ++news->generation;
        auto ex = conn->socket().get_executor();
        std::weak_ptr<Connection> weak = conn;
        std::shared_ptr<IdleNews> n = news;
        watch->notify([ex, weak, n, generation](store::FeedUpdate u) {
            asio::post(ex, [weak, n, generation, u = std::move(u)]() mutable {
                if (n->generation == generation) n->armed = false;
                if (u.cancelled) return;
                // Never dropped, even from an older wait: the feed counts it as seen.
                n->update = merge_updates(std::move(n->update), std::move(u));
                // Only a wait for the client is cut short; a write in progress is left alone.
                if (auto c = weak.lock(); c && c->reading) c->socket().cancel();
            });
        });
    }

    void disarm() {
        store::Subscription* watch = session ? session->watch() : nullptr;
        if (watch && news->armed) watch->cancel();
        news->armed = false;
        ++news->generation;
    }

    asio::awaitable<Need> step();
    asio::awaitable<Need> command(std::string_view text);
    asio::awaitable<Need> not_authenticated(const Command& cmd);
    asio::awaitable<void> login(const Command& cmd, const auth::Credentials& creds);
    asio::awaitable<Need> sasl_line(std::string_view line);
    asio::awaitable<Need> sasl_done(const auth::SaslExchange::Step& s);
    ReaderLimits reader_limits() const {
        ReaderLimits l = server.limits_.reader;
        l.max_append = conn->snapshot->config->smtp.max_message_size;
        return l;
    }
    asio::awaitable<Need> stream_event(CommandReader::Event ev);

    // Writes what APPEND gathered to its staged blob (begun by the first part). false: the store failed.
    asio::awaitable<bool> stage() {
        if (append_data.empty()) co_return true;
        append_size += append_data.size();
        auto write = [this](store::Store& s) -> store::Status {
            if (!staging) staging.emplace(s.stage_message());
            return staging->append(append_data);
        };
        auto written = co_await server.store_.run(write);
        append_data.clear();
        if (!written) server.log_.error("imap.store.failed", {{"command", "APPEND"}, {"error", written.error().message}});
        co_return written.ok();
    }
    // Drops a half-staged APPEND: deleting its chunks is a store write, so on the pool.
    asio::awaitable<void> drop_staged() {
        append_data.clear();
        if (!staging) co_return;
        auto drop = [this](store::Store&) { return staging.reset(), 0; };
        co_await server.store_.run(drop);
    }
};

asio::awaitable<Server::Dialog::Need> Server::Dialog::step() {
    for (;;) {
        if (news->update && session) {
            // The feed had news: while idling it goes out now; otherwise with the next command.
            auto u = std::exchange(news->update, std::nullopt);
            session->news(std::move(*u));
            if (idle_tag) {
                const bool go_on = co_await session->sync(true);
                out += std::exchange(session->output(), {});  // the "* BYE" too, when it is not
                if (!go_on) co_return Need::close;
            }
        }
        if (idle_tag) arm();
        if (out.size() >= kWriteAt) co_return Need::write;
        const auto ev = reader.next();
        switch (ev) {
        case CommandReader::Event::need_more: co_return Need::read;
        case CommandReader::Event::continuation: out += "+ OK\r\n"; continue;
        case CommandReader::Event::too_long:
            if (append_cmd) {
                // The line after a streamed APPEND's message (reader.hpp): the APPEND is off.
                append_cmd.reset();
                co_await drop_staged();
            }
            if (!bad_command(reader.tag(), "Command line too long.")) co_return Need::close;
            continue;
        case CommandReader::Event::too_big:
            reply(reader.tag(), "NO", "[TOOBIG] Literal too big.");
            continue;
        case CommandReader::Event::stream_begin:
        case CommandReader::Event::stream_bytes:
        case CommandReader::Event::stream_end: {
            const Need need = co_await stream_event(ev);
            if (need != Need::read) co_return need;
            continue;
        }
        case CommandReader::Event::command: {
            const std::string text(reader.command());
            Need need;
            if (sasl) need = co_await sasl_line(text);
            else need = co_await command(text);
            if (need != Need::read) co_return need;
            continue;
        }
        }
    }
}

asio::awaitable<Server::Dialog::Need> Server::Dialog::command(std::string_view text) {
    if (idle_tag) {
        // RFC 2177: the one thing a client sends during IDLE is DONE.
        disarm();
        const std::string tag = *std::exchange(idle_tag, std::nullopt);
        if (iequals(text, "DONE")) reply(tag, "OK", "Idle completed.");
        else if (!bad_command(tag, "Expected DONE.")) co_return Need::close;
        co_return Need::read;
    }
    auto parsed = parse_command(text);
    if (auto* e = std::get_if<ParseError>(&parsed)) {
        if (!bad_command(e->tag, "Error in IMAP command: " + e->text)) co_return Need::close;
        co_return Need::read;
    }
    const Command& cmd = std::get<Command>(parsed);
    switch (cmd.name) {
    case Name::capability:
        out += "* CAPABILITY " + capabilities() + "\r\n";
        reply(cmd.tag, "OK", "Capability completed.");
        co_return Need::read;
    case Name::logout:
        out += "* BYE Logging out\r\n";
        reply(cmd.tag, "OK", "Logout completed.");
        logged_out = true;
        co_return Need::close;
    case Name::id:
        // RFC 2971: what we are; the client's own list is only logged at debug.
        out += "* ID (\"name\" \"mxlab\")\r\n";
        reply(cmd.tag, "OK", "ID completed.");
        co_return Need::read;
    default: break;
    }
    if (!session) co_return co_await not_authenticated(cmd);
    switch (cmd.name) {
    case Name::starttls:
    case Name::login:
    case Name::authenticate: reply(cmd.tag, "BAD", "Already logged in."); co_return Need::read;
    case Name::idle:
        idle_tag = cmd.tag;
        if (!co_await session->sync(true)) {
            out += std::exchange(session->output(), {});
            co_return Need::close;
        }
        out += std::exchange(session->output(), {});
        out += "+ idling\r\n";
        reader.expect_plain_line();
        arm();
        co_return Need::read;
    default: break;
    }
    bad = 0;
    const bool go_on = co_await session->execute(cmd);
    out += std::exchange(session->output(), {});
    co_return go_on ? Need::read : Need::close;
}

asio::awaitable<Server::Dialog::Need> Server::Dialog::not_authenticated(const Command& cmd) {
    switch (cmd.name) {
    case Name::noop: reply(cmd.tag, "OK", "NOOP completed."); co_return Need::read;
    case Name::starttls:
        if (conn->tls()) {
            reply(cmd.tag, "BAD", "TLS is already active.");
            co_return Need::read;
        }
        if (!tls_offered) {
            reply(cmd.tag, "NO", "TLS support isn't enabled.");
            co_return Need::read;
        }
        reply(cmd.tag, "OK", "Begin TLS negotiation now.");
        // RFC 9051 6.2.1 (and CVE-2011-0411): nothing sent before the handshake may count after it.
        reader = CommandReader(reader_limits());
        co_return Need::start_tls;
    case Name::login: {
        if (require_tls && !conn->tls()) {
            reply(cmd.tag, "NO", "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
            co_return Need::read;
        }
        auth::Credentials creds;
        creds.authcid = cmd.strings.size() > 0 ? cmd.strings[0] : "";
        creds.password = cmd.strings.size() > 1 ? cmd.strings[1] : "";
        co_await login(cmd, creds);
        co_return Need::read;
    }
    case Name::authenticate: {
        if (require_tls && !conn->tls()) {
            reply(cmd.tag, "NO", "[PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
            co_return Need::read;
        }
        auto mech = cmd.strings.empty() ? std::nullopt : auth::parse_mechanism(cmd.strings[0]);
        if (!mech || *mech != auth::Mechanism::plain) {
            reply(cmd.tag, "NO", "Unsupported authentication mechanism.");
            co_return Need::read;
        }
        sasl.emplace(*mech);
        sasl_cmd = cmd;
        std::optional<std::string_view> initial;
        if (cmd.strings.size() > 1) initial = cmd.strings[1];
        auto s = sasl->start(initial);
        if (s.kind == auth::SaslExchange::Step::Kind::challenge) {
            out += "+ " + s.challenge + "\r\n";
            reader.expect_plain_line();
            co_return Need::read;
        }
        co_return co_await sasl_done(s);
    }
    default:
        if (!bad_command(cmd.tag, "Command not valid in this state; log in first.")) co_return Need::close;
        co_return Need::read;
    }
}

asio::awaitable<Server::Dialog::Need> Server::Dialog::sasl_line(std::string_view line) {
    co_return co_await sasl_done(sasl->step(line));
}

asio::awaitable<Server::Dialog::Need> Server::Dialog::sasl_done(const auth::SaslExchange::Step& s) {
    using Kind = auth::SaslExchange::Step::Kind;
    const Command cmd = *sasl_cmd;
    switch (s.kind) {
    case Kind::challenge:
        out += "+ " + s.challenge + "\r\n";
        reader.expect_plain_line();
        co_return Need::read;
    case Kind::cancelled:
        sasl.reset();
        reply(cmd.tag, "BAD", "Authentication aborted by client.");
        co_return Need::read;
    case Kind::malformed:
        sasl.reset();
        reply(cmd.tag, "BAD", "Invalid base64 data in continued response.");
        co_return Need::read;
    case Kind::done: break;
    }
    sasl.reset();
    if (!s.credentials.authzid.empty() && !iequals(s.credentials.authzid, s.credentials.authcid)) {
        reply(cmd.tag, "NO", "[AUTHORIZATIONFAILED] Logging in as another user is not allowed.");
        co_return Need::read;
    }
    co_await login(cmd, s.credentials);
    co_return Need::read;
}

asio::awaitable<void> Server::Dialog::login(const Command& cmd, const auth::Credentials& creds) {
    auto& log = server.log_;
    if (auto locked = co_await server.pass_throttle(*conn, server.throttle_, creds.authcid)) {
        reply(cmd.tag, "NO", "[UNAVAILABLE] Too many failed logins; try again in " + auth::wait_text(*locked) + ".");
        co_return;
    }
    const std::string client = conn->client.str();
    auto verdict = co_await server.passwords_.check(conn->snapshot->directory, creds.authcid, creds.password);
    if (!verdict.checked) {
        log.warn("imap.auth", {{"client", client}, {"login", creds.authcid}, {"status", "busy"}});
        reply(cmd.tag, "NO", "[UNAVAILABLE] The server is busy checking other logins; try again in a moment.");
        co_return;
    }
    if (!verdict.user) {
        log.warn("imap.auth", {{"client", client}, {"login", creds.authcid}, {"status", "failed"}});
        reply(cmd.tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed.");
        co_return;
    }
    server.login_succeeded(*conn, server.throttle_, creds.authcid);
    // A user who never got mail has no mailboxes yet; ensure_user also brings back a deleted Sent or Trash (store.hpp).
    auto made = co_await server.store_.ensure_user(*verdict.user);
    if (!made) {
        log.error("imap.store.failed", {{"client", client}, {"user", *verdict.user}, {"error", made.error().message}});
        reply(cmd.tag, "NO", "[UNAVAILABLE] The mail store failed; try again later.");
        co_return;
    }
    std::weak_ptr<Connection> weak = conn;
    const std::chrono::seconds timeout = server.limits_.write_timeout;
    auto writer = [weak, timeout](std::string& bytes) -> asio::awaitable<bool> {
        auto c = weak.lock();
        if (!c) co_return false;
        boost::system::error_code ec;
        co_await c->write(asio::buffer(bytes), timeout, ec);
        bytes.clear();
        co_return !ec;
    };
    // The writer writes what is in `out` first: replies before this command's own.
    auto ordered = [this, writer](std::string& bytes) -> asio::awaitable<bool> {
        if (!out.empty()) {
            if (!co_await writer(out)) co_return false;
        }
        co_return co_await writer(bytes);
    };
    session = std::make_unique<Session>(server.store_, server.log_, *verdict.user, client, ordered,
                                        conn->snapshot->config->smtp.max_message_size);
    log.info("imap.login", {{"client", client}, {"user", *verdict.user}, {"tls", conn->tls() ? "yes" : "no"}});
    reply(cmd.tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
}

asio::awaitable<Server::Dialog::Need> Server::Dialog::stream_event(CommandReader::Event ev) {
    switch (ev) {
    case CommandReader::Event::stream_begin: {
        // The command before its big literal, parsed with an empty one in its place.
        std::string prefix(reader.command());
        if (!prefix.empty() && prefix.back() != ' ') prefix += ' ';
        prefix += "{0}\r\n";
        auto parsed = parse_command(prefix);
        auto* cmd = std::get_if<Command>(&parsed);
        if (!cmd || cmd->name != Name::append || !session) {
            reader.refuse_stream();
            const std::string tag = cmd ? cmd->tag : std::get<ParseError>(parsed).tag;
            if (!bad_command(tag, session ? "Literal too big." : "Command not valid in this state; log in first.")) co_return Need::close;
            co_return Need::read;
        }
        if (reader.stream_size() > reader_limits().max_append) {
            reader.refuse_stream();
            reply(cmd->tag, "NO", "[TOOBIG] Message is larger than this server accepts.");
            co_return Need::read;
        }
        append_cmd = std::move(*cmd);
        append_data.clear();
        append_crlf = CrlfNormalizer();
        append_size = 0;
        append_failed = false;
        if (!reader.stream_nonsync()) out += "+ OK\r\n";
        co_return Need::read;
    }
    case CommandReader::Event::stream_bytes:
        if (!append_cmd) co_return Need::read;
        append_crlf.feed(reader.stream_chunk(), append_data);
        if (append_data.size() >= kStagePart && !co_await stage()) {
            // The store failed: the rest of the literal is skipped (reader.hpp), the NO comes at its end.
            append_failed = true;
            reader.refuse_stream();
            co_await drop_staged();
            Command cmd = *std::exchange(append_cmd, std::nullopt);
            reply(cmd.tag, "NO", "[SERVERBUG] The mail store failed; nothing was saved. Try again later.");
        }
        co_return Need::read;
    case CommandReader::Event::stream_end: {
        if (!append_cmd) co_return Need::read;
        Command cmd = *std::exchange(append_cmd, std::nullopt);
        if (!reader.command().empty()) {
            co_await drop_staged();
            // MULTIAPPEND is not offered: nothing may follow the message.
            if (!bad_command(cmd.tag, "Unexpected arguments after the message.")) co_return Need::close;
            co_return Need::read;
        }
        if (append_failed || !co_await stage()) {
            co_await drop_staged();
            reply(cmd.tag, "NO", "[SERVERBUG] The mail store failed; nothing was saved. Try again later.");
            co_return Need::read;
        }
        auto finish = [this](store::Store&) -> store::Result<store::StagedBlob> {
            auto w = std::move(staging);
            staging.reset();
            if (!w) return store::make_error(store::Errc::invalid, "nothing was staged");
            return w->finish();
        };
        auto staged = co_await server.store_.run(finish);
        if (!staged) {
            server.log_.error("imap.store.failed", {{"user", session->user()}, {"command", "APPEND"}, {"error", staged.error().message}});
            reply(cmd.tag, "NO", "[SERVERBUG] The mail store failed; nothing was saved. Try again later.");
            co_return Need::read;
        }
        co_await session->append(cmd, std::move(*staged), append_size);
        out += std::exchange(session->output(), {});
        co_return Need::read;
    }
    default: co_return Need::read;
    }
}

asio::awaitable<void> Server::serve(std::shared_ptr<mail::net::Connection> base) {
    auto conn = std::static_pointer_cast<Connection>(base);
    const auto& snap = *conn->snapshot;
    if (static_cast<Port>(conn->kind) == Port::imaps) {
        if (!snap.tls) co_return;
        boost::system::error_code ec;
        co_await conn->handshake(limits_.tls_handshake_timeout, ec);
        if (ec) co_return;
    }
    Dialog dialog{*this, conn, CommandReader(limits_.reader)};
    dialog.reader = CommandReader(dialog.reader_limits());
    dialog.tls_offered = snap.tls != nullptr;
    dialog.require_tls = snap.config->tls.require_for_auth;
    dialog.out = "* OK [CAPABILITY " + dialog.capabilities() + "] mxlab IMAP ready.\r\n";
    co_await drive(*conn, dialog, {limits_.write_timeout, limits_.tls_handshake_timeout});
    dialog.disarm();
    co_await dialog.drop_staged();  // a client gone mid-APPEND
    if (dialog.session) {
        const auto& c = dialog.session->counts();
        log_.info("imap.logout", {{"client", conn->client.str()},
                                  {"user", dialog.session->user()},
                                  {"fetched", std::to_string(c.fetched) + "/" + std::to_string(c.fetched_bytes)},
                                  {"stored", c.stored},
                                  {"expunged", c.expunged},
                                  {"appended", c.appended},
                                  {"status", dialog.logged_out ? "logout" : "disconnected"}});
    }
}

}  // namespace mxlab::imap
