// libFuzzer target: whole SMTP dialogs through smtp::Session, with the server's part (password checks, the store, TLS) played from the input.
//
// Input: dialog.hpp's header, then what the client sends. Flags (byte 0):
// bits 0-1 the port (0 mx, 1 submission, 2 smtps, 3 mx refusing the client),
// bit 2 a TLS context exists, bit 3 TLS is already active, bits 4-5 [smtp]
// relay (authenticated, networks, open, none), bit 6 [tls] require_for_auth,
// bit 7 the client is inside relay_networks. Decisions: the password check
// (0 the lab's directory decides, 1 ok, 2 bad, 3 throttled), each stored part
// and delivery (0 fails), each TLS handshake (0 fails: the server hangs up).
//
// Checks what must hold whatever the client sends:
//  - the output is reply lines, "NNN-" continuing a reply with the same code
//    and "NNN " (or a bare "NNN") ending it; never a half-written reply;
//  - a session with an Action out asks for nothing more before its result;
//  - output stays within a bound per input byte (no amplification);
//  - every Action is one the state allows: credentials only where AUTH may be
//    used, TLS only where offered, a delivery only with recipients, within the
//    size limit, authenticated on submission ports and relayed only when the
//    relay policy allows;
//  - the refusals reported for the log are 4xx/5xx reply lines, at most
//    2 x max_errors per connection (Session::refusals());
//  - after close the session stays closed.
#include "config/config.hpp"
#include "mail/auth/directory.hpp"
#include "mail/smtp/session.hpp"
#include "tests/fuzz/dialog.hpp"
#include "tests/unit/lab_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace {

using mxlab::fuzz::check;
using mxlab::fuzz::DialogInput;
using mxlab::smtp::Port;
using mxlab::smtp::Session;

constexpr std::array<std::string_view, 4> relays = {"authenticated", "networks", "open", "none"};

struct Lab {
    std::shared_ptr<const mxlab::config::Config> config;
    std::shared_ptr<const mxlab::auth::Directory> directory;
};

// One per ([smtp] relay, [tls] require_for_auth), loaded once: a config load per input would be all the fuzzer measures.
const Lab& lab(unsigned relay, bool require_tls) {
    static std::array<Lab, 8> labs;
    Lab& l = labs[relay * 2 + require_tls];
    if (!l.config) {
        std::string errors;
        l.config = mxlab::test::load_lab({.relay = relays[relay], .require_tls_for_auth = require_tls}, errors);
        check(l.config != nullptr);
        l.directory = std::make_shared<const mxlab::auth::Directory>(*l.config);
    }
    return l;
}

// Reply lines (RFC 5321 section 4.2): a 2xx-5xx code, then '-' on every line of a multiline reply but the last.
void check_replies(std::string_view out) {
    mxlab::fuzz::check_crlf_lines(out);
    std::string_view continuing;  // the code of an unfinished multiline reply
    for (std::size_t pos = 0; pos < out.size();) {
        const std::size_t eol = out.find("\r\n", pos);
        const std::string_view line = out.substr(pos, eol - pos);
        check(line.size() >= 3 && line[0] >= '2' && line[0] <= '5' && std::isdigit(static_cast<unsigned char>(line[1])) &&
              std::isdigit(static_cast<unsigned char>(line[2])));
        check(line.size() == 3 || line[3] == ' ' || line[3] == '-');
        check(continuing.empty() || line.substr(0, 3) == continuing);
        continuing = line.size() > 3 && line[3] == '-' ? line.substr(0, 3) : std::string_view{};
        pos = eol + 2;
    }
    check(continuing.empty());
}

bool in_relay_networks(const mxlab::config::Config& cfg, const mxlab::config::IpAddr& a) {
    return std::any_of(cfg.smtp.relay_networks.begin(), cfg.smtp.relay_networks.end(),
                       [&](const mxlab::config::Cidr& c) { return c.contains(a); });
}

void check_delivery(Session& session, const mxlab::config::Config& cfg, Port port, const mxlab::config::IpAddr& client) {
    const auto& t = session.transaction();
    check(!t.recipients.empty() && !t.id.empty());
    check(!t.local_users.empty() || !t.remote.empty());
    check(t.stored > 0 || t.message.starts_with("Received: "));
    // Our Received (and on submission Date, Message-ID) come on top of the client's bytes.
    check(t.size() <= cfg.smtp.max_message_size + 1024);
    if (port != Port::mx) check(!session.user().empty());
    const bool relayed = std::any_of(t.recipients.begin(), t.recipients.end(), [](const auto& r) { return r.relayed; });
    if (!relayed) return;
    using mxlab::config::Relay;
    switch (cfg.smtp.relay) {
    case Relay::open:
        break;
    case Relay::networks:
        check(!session.user().empty() || in_relay_networks(cfg, client));
        break;
    case Relay::authenticated:
        check(!session.user().empty());
        break;
    case Relay::none:
        check(false);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = DialogInput::parse(data, size);
    if (!in) return 0;
    const std::uint8_t flags = in->flags();
    const unsigned port_bits = flags & 3;
    const Port port = port_bits == 1 ? Port::submission : port_bits == 2 ? Port::smtps : Port::mx;
    const Lab& l = lab((flags >> 4) & 3, (flags & 64) != 0);
    const auto& cfg = *l.config;
    const auto client = *mxlab::config::IpAddr::parse((flags & 128) ? "10.0.0.7" : "192.0.2.7");

    mxlab::smtp::SessionSettings s;
    s.config = l.config;
    s.directory = l.directory;
    s.port = port;
    s.tls_offered = (flags & 4) != 0;
    // Small limits, so that short inputs reach every refusal and the staging of parts.
    s.limits.max_recipients = 4;
    s.limits.max_errors = 10;
    s.limits.max_line = 512;
    s.limits.store_part_at = 256;
    s.now = [] { return std::chrono::system_clock::from_time_t(1795694400); };
    const bool tls_at_start = (flags & 8) != 0 || port == Port::smtps;
    Session session(std::move(s), {client, 40000}, tls_at_start);
    if (port_bits == 3) session.refuse("Error: too many connections");

    // The longest reply per client byte is EHLO's (under 200 octets for "EHLO x\r\n");
    // the greeting and each Action's outcome add one reply each.
    mxlab::fuzz::ServerSide<Session> server(session, *in, {.base = 512, .per_byte = 32, .per_action = 128});
    std::size_t refused = 0;
    for (;;) {
        const auto a = session.next();
        check_replies(session.output());
        for (const auto& r : session.refusals()) {
            check(r.reply.size() >= 3 && (r.reply[0] == '4' || r.reply[0] == '5'));
            check(r.reply.find_first_of("\r\n") == std::string::npos);
        }
        refused += session.refusals().size();
        session.refusals().clear();
        check(refused <= 2 * 10);  // max_errors above
        server.send();
        if (a == Session::Action::read) {
            if (!server.read()) return 0;
            continue;
        }
        if (a == Session::Action::close) break;
        server.action_out();
        switch (a) {
        case Session::Action::authenticate: {
            const auto& c = session.credentials();
            check(!c.authcid.empty() && !c.password.empty() && session.user().empty());
            check(session.tls_active() || !cfg.tls.require_for_auth);
            using O = Session::AuthOutcome;
            const unsigned pick = in->choice();
            const auto user = l.directory->authenticate(c.authcid, c.password);
            if (pick == 0) session.auth_result(user ? O::ok : O::bad_credentials, user.value_or(""));
            else if (pick == 1) session.auth_result(O::ok, user.value_or("bob@sina.com"));
            else session.auth_result(pick == 2 ? O::bad_credentials : O::throttled);
            break;
        }
        case Session::Action::store_part:
            check(!session.transaction().message.empty());
            session.part_stored(in->choice() != 0);
            break;
        case Session::Action::deliver:
            check_delivery(session, cfg, port, client);
            session.delivered(in->choice() == 0 ? "disk full" : "");
            break;
        case Session::Action::start_tls:
            check(!session.tls_active() && port != Port::smtps && (flags & 4));
            if (in->choice() == 0) return 0;  // the handshake failed: the server hangs up
            session.tls_started();
            check(session.tls_active() && session.user().empty());
            break;
        case Session::Action::read:
        case Session::Action::close:
            break;
        }
    }
    check(session.next() == Session::Action::close);
    return 0;
}
