// libFuzzer target: POP3 command lines through mail/pop3/command, and arbitrary bytes through a pop3::Session.
//
// Input: two flag bytes, then what the client sends. Byte 0: bit 0
// require_for_auth, bit 1 a TLS context, bit 2 implicit TLS, bit 3 the store
// fails the update, bits 4-6 how logins end (0-3: the password decides,
// else in-use, throttled, unavailable, bad). Byte 1: the read size (1..64).
// Checks that nothing crashes and that what comes back can be trusted: the
// parser's values keep their promises (numbers where required, PASS's text
// is the line's rest); the session's output is whole CRLF lines with no NUL
// or bare CR/LF (no client byte is echoed into a reply), its requests name
// messages that exist and are not deleted, and it ends when it says so.
#include "config/config.hpp"
#include "mail/pop3/command.hpp"
#include "mail/pop3/session.hpp"
#include "tests/unit/lab_config.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using mxlab::pop3::Command;
using mxlab::pop3::Session;
using mxlab::pop3::SyntaxError;
using mxlab::pop3::Verb;

void check(bool ok) {
    if (!ok) std::abort();
}

std::shared_ptr<const mxlab::config::Config> make_config(bool require_tls) {
    std::string errors;
    auto cfg = mxlab::test::load_lab({.require_tls_for_auth = require_tls}, errors);
    check(cfg != nullptr);
    return cfg;
}

void check_line(std::string_view line) {
    const auto parsed = mxlab::pop3::parse_command(line);
    if (const auto* e = std::get_if<SyntaxError>(&parsed)) {
        check(!e->text.empty() && e->text.find_first_of("\r\n") == std::string::npos);
        return;
    }
    const auto& c = std::get<Command>(parsed);
    check(line.find('\0') == std::string_view::npos);
    check(line.substr(0, c.keyword.size()) == c.keyword);
    switch (c.verb) {
    case Verb::retr:
    case Verb::dele:
    case Verb::top:
        check(c.number.has_value());
        break;
    case Verb::pass:
        check(!c.arg.empty() && line.size() == 5 + c.arg.size() && line.substr(5) == c.arg);
        break;
    case Verb::user:
        check(!c.arg.empty() && c.arg.find(' ') == std::string::npos);
        break;
    default:
        break;
    }
}

// Whole lines: every CR starts a CRLF, every LF ends one, no NUL.
void check_output(std::string_view out) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        check(out[i] != '\0');
        if (out[i] == '\r') check(i + 1 < out.size() && out[i + 1] == '\n');
        if (out[i] == '\n') check(i > 0 && out[i - 1] == '\r');
    }
    check(out.empty() || out.ends_with("\r\n"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static const auto plain_cfg = make_config(false);
    static const auto tls_cfg = make_config(true);
    const std::uint8_t flags = data[0];
    const std::size_t read_size = data[1] % 64 + 1;
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    // Each line alone through the parser.
    for (std::size_t pos = 0; pos <= input.size();) {
        std::size_t eol = input.find('\n', pos);
        if (eol == std::string_view::npos) eol = input.size();
        std::string_view line = input.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        check_line(line);
        pos = eol + 1;
    }

    // The whole input through a session, small limits so that every path is reached.
    mxlab::pop3::SessionSettings s;
    s.config = (flags & 1) ? tls_cfg : plain_cfg;
    s.tls_offered = (flags & 2) != 0;
    s.tls_active = (flags & 4) != 0;
    s.limits.max_line = 300;
    s.limits.max_output = 256;
    s.limits.max_errors = 20;
    Session session(s);
    const int outcome = (flags >> 4) & 7;
    std::size_t fed = 0;
    bool closed = false;
    for (int steps = 0; steps < 100000 && !closed; ++steps) {
        const auto a = session.next();
        check_output(session.output());
        session.output().clear();
        using A = Session::Action;
        using O = Session::AuthOutcome;
        switch (a) {
        case A::read:
            if (fed == input.size()) return 0;
            session.receive(input.substr(fed, read_size));
            fed += std::min(read_size, input.size() - fed);
            break;
        case A::write:
            break;
        case A::close:
            closed = true;
            break;
        case A::start_tls:
            check(!session.tls_active() && s.tls_offered && session.state() == mxlab::pop3::State::authorization);
            session.tls_started();
            break;
        case A::authenticate: {
            const auto& c = session.credentials();
            check(!c.authcid.empty() && !c.password.empty());
            check(session.state() == mxlab::pop3::State::authorization);
            check(session.tls_active() || !s.config->tls.require_for_auth);
            std::vector<mxlab::pop3::Message> drop{{10, "U1"}, {20, "U2"}, {30, "U3"}};
            O o = outcome == 4 ? O::in_use : outcome == 5 ? O::throttled : outcome == 6 ? O::unavailable
                : outcome == 7 || c.password != "bob123" ? O::bad_credentials : O::ok;
            session.auth_result(o, "bob@sina.com", o == O::ok ? drop : std::vector<mxlab::pop3::Message>{});
            break;
        }
        case A::retrieve: {
            const auto r = session.retrieval();
            check(session.state() == mxlab::pop3::State::transaction && r.index < session.maildrop().size());
            const auto del = session.deleted();
            check(std::find(del.begin(), del.end(), r.index) == del.end());
            session.retrieve_started(r.index != 1);  // message 2 "expunged meanwhile"
            if (r.index != 1) session.retrieved();
            break;
        }
        case A::update: {
            check(session.state() == mxlab::pop3::State::update);
            const auto del = session.deleted();
            check(!del.empty());
            for (std::size_t i = 0; i < del.size(); ++i) check(del[i] < session.maildrop().size() && (i == 0 || del[i - 1] < del[i]));
            session.updated((flags & 8) == 0);
            break;
        }
        }
    }
    check(closed);
    check(session.next() == Session::Action::close);
    return 0;
}
