// libFuzzer target: whole POP3 dialogs through pop3::Session, with the server's part (logins, the maildrop, TLS, UPDATE) played from the input.
//
// Input: dialog.hpp's header, then what the client sends. Flags (byte 0):
// bit 0 [tls] require_for_auth, bit 1 a TLS context exists, bit 2 implicit
// TLS, bits 3-4 the maildrop (empty, three messages, one long one, thirty
// small ones), bit 5 small limits (short lines, few errors, 256 octets of
// pipelined output). Decisions: the login (0 the lab's directory decides,
// 1 ok, 2 bad, 3 a second decision picks throttled, unavailable or in use),
// each retrieval (0 the message is gone; otherwise it is streamed in chunks of
// a size the next decision picks, through TopCut for TOP as the server does),
// the UPDATE (0 the store fails) and each TLS handshake (0 fails: hang up).
//
// Checks what must hold whatever the client sends:
//  - the output is whole CRLF lines, no NUL, each batch starting with a
//    status ("+OK", "-ERR") or a SASL challenge ("+ ");
//  - a session with an Action out asks for nothing more before its result;
//  - pipelined output is sent in batches near max_output, and all output
//    stays within a bound per input byte;
//  - every Action is one the state allows: a login in AUTHORIZATION where
//    plaintext is allowed, a retrieval of a message that exists and is not
//    deleted, an UPDATE with the deletions in order, STLS only where offered;
//  - RETR's status names the size from the maildrop, and TopCut chunk by
//    chunk cuts TOP where top_lines() does;
//  - a session that entered UPDATE with deletions closes only after they
//    were applied, and after close it stays closed.
#include "config/config.hpp"
#include "mail/auth/directory.hpp"
#include "mail/pop3/session.hpp"
#include "mail/pop3/top.hpp"
#include "mail/codec/dot_stuffer.hpp"
#include "tests/fuzz/dialog.hpp"
#include "tests/unit/lab_config.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using mxlab::fuzz::check;
using mxlab::fuzz::DialogInput;
using mxlab::pop3::Session;
using mxlab::pop3::State;

struct Lab {
    std::shared_ptr<const mxlab::config::Config> config;
    std::shared_ptr<const mxlab::auth::Directory> directory;
};

// One per [tls] require_for_auth, loaded once: a config load per input would be all the fuzzer measures.
const Lab& lab(bool require_tls) {
    static std::array<Lab, 2> labs;
    Lab& l = labs[require_tls];
    if (!l.config) {
        std::string errors;
        l.config = mxlab::test::load_lab({.require_tls_for_auth = require_tls}, errors);
        check(l.config != nullptr);
        l.directory = std::make_shared<const mxlab::auth::Directory>(*l.config);
    }
    return l;
}

// The texts of the maildrops; lines starting with '.' and a lone "." body test the stuffing.
using Maildrop = std::vector<std::string>;

const std::array<Maildrop, 4>& maildrops() {
    static const std::array<Maildrop, 4> drops = [] {
        std::array<Maildrop, 4> d;
        d[1] = {"Subject: one\r\n\r\nHello\r\n.hidden dot\r\n",
                "Subject: two\r\nFrom: a@sina.com\r\n\r\nline 1\r\nline 2\r\nline 3\r\n",
                "Subject: three\r\n\r\n."};
        std::string longer = "Subject: long\r\nX-Folded: a\r\n b\r\n\r\n";
        for (int i = 0; i < 60; ++i) longer += (i % 7 == 0 ? ".line " : "line ") + std::to_string(i) + "\r\n";
        d[2] = {longer};
        for (int i = 0; i < 30; ++i) d[3].push_back("Subject: " + std::to_string(i) + "\r\n\r\nbody\n");
        return d;
    }();
    return drops;
}

// What the server sends for a retrieval: the message (cut for TOP) in chunks, dot-stuffed, then ".".
void stream(std::string_view text, const Session::Retrieval& r, std::size_t chunk_size) {
    std::optional<mxlab::pop3::TopCut> cut;
    if (r.top_lines) cut.emplace(*r.top_lines);
    mxlab::smtp::DotStuffer stuffer;
    std::string out;
    std::size_t sent = 0;
    for (std::size_t pos = 0; pos < text.size() && !(cut && cut->done()); pos += chunk_size) {
        std::string_view chunk = text.substr(pos, chunk_size);
        if (cut) chunk = chunk.substr(0, cut->take(chunk));
        sent += chunk.size();
        stuffer.feed(chunk, out);
    }
    out += stuffer.finish();
    check(sent == (r.top_lines ? mxlab::pop3::top_lines(text, *r.top_lines) : text.size()));
    check(out.ends_with("\r\n.\r\n"));
}

void check_batch(std::string_view out) {
    mxlab::fuzz::check_crlf_lines(out);
    check(out.empty() || out.starts_with("+OK") || out.starts_with("-ERR ") || out.starts_with("+ "));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = DialogInput::parse(data, size);
    if (!in) return 0;
    const std::uint8_t flags = in->flags();
    const Lab& l = lab((flags & 1) != 0);
    const Maildrop& texts = maildrops()[(flags >> 3) & 3];

    mxlab::pop3::SessionSettings s;
    s.config = l.config;
    s.tls_offered = (flags & 2) != 0;
    s.tls_active = (flags & 4) != 0;
    if (flags & 32) s.limits = {.max_errors = 5, .max_line = 300, .max_output = 256};
    const auto limits = s.limits;
    Session session(std::move(s));

    // The longest reply per client byte is LIST's or UIDL's for thirty messages, for "LIST\r\n".
    mxlab::fuzz::ServerSide<Session> server(session, *in, {.base = 256, .per_byte = 80, .per_action = 128});
    std::string& out = session.output();
    bool updated = false;
    for (;;) {
        const auto a = session.next();
        check_batch(out);
        // A batch stops at max_output; the command that crossed it adds one
        // reply, at most a listing of thirty messages.
        check(out.size() < limits.max_output + 1024);
        server.send();
        if (a == Session::Action::read) {
            if (!server.read()) return 0;
            continue;
        }
        if (a == Session::Action::write) continue;
        if (a == Session::Action::close) break;
        server.action_out();
        switch (a) {
        case Session::Action::authenticate: {
            const auto& c = session.credentials();
            check(!c.authcid.empty() && !c.password.empty() && session.user().empty());
            check(session.state() == State::authorization);
            check(session.tls_active() || !l.config->tls.require_for_auth);
            std::vector<mxlab::pop3::Message> drop;
            for (std::size_t i = 0; i < texts.size(); ++i) drop.push_back({texts[i].size(), "UID-" + std::to_string(i)});
            using O = Session::AuthOutcome;
            const auto user = l.directory->authenticate(c.authcid, c.password);
            switch (in->choice()) {
            case 0:
                if (user) session.auth_result(O::ok, *user, std::move(drop));
                else session.auth_result(O::bad_credentials);
                break;
            case 1:
                session.auth_result(O::ok, user.value_or("bob@sina.com"), std::move(drop));
                break;
            case 2:
                session.auth_result(O::bad_credentials);
                break;
            default: {
                const unsigned pick = in->choice();
                session.auth_result(pick == 0 ? O::throttled : pick == 1 ? O::unavailable : O::in_use);
            }
            }
            break;
        }
        case Session::Action::retrieve: {
            const auto r = session.retrieval();
            check(session.state() == State::transaction && r.index < session.maildrop().size());
            const auto del = session.deleted();
            check(std::find(del.begin(), del.end(), r.index) == del.end());
            if (in->choice() == 0) {
                session.retrieve_started(false);
                break;
            }
            session.retrieve_started(true);
            // Only the status line goes before the message.
            check_batch(out);
            check(out.starts_with("+OK") && out.find("\r\n") == out.size() - 2);
            if (!r.top_lines) check(out == "+OK " + std::to_string(texts[r.index].size()) + " octets\r\n");
            server.send();
            stream(texts[r.index], r, 1 + 13 * in->choice());
            session.retrieved();
            break;
        }
        case Session::Action::update: {
            check(session.state() == State::update && !updated);
            const auto del = session.deleted();
            check(!del.empty());
            for (std::size_t i = 0; i < del.size(); ++i) check(del[i] < session.maildrop().size() && (i == 0 || del[i - 1] < del[i]));
            switch (in->choice() % 3) {  // the store's three answers to the deletions
                case 0: session.updated(Session::UpdateOutcome::done); break;
                case 1: session.updated(Session::UpdateOutcome::failed); break;
                default: session.updated(Session::UpdateOutcome::mailbox_gone); break;
            }
            updated = true;
            break;
        }
        case Session::Action::start_tls:
            check(!session.tls_active() && (flags & 2) && session.state() == State::authorization);
            if (in->choice() == 0) return 0;  // the handshake failed: the server hangs up
            session.tls_started();
            check(session.tls_active());
            break;
        case Session::Action::read:
        case Session::Action::write:
        case Session::Action::close:
            break;
        }
    }
    check(updated || session.state() != State::update || session.deleted().empty());
    check(session.next() == Session::Action::close);
    return 0;
}
