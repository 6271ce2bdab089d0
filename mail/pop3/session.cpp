// The POP3 server session: one handler per verb, each queueing its reply; see session.hpp.
#include "mail/pop3/session.hpp"

#include <utility>

#include "core/ascii.hpp"
#include "mail/auth/throttle.hpp"

namespace mxlab::pop3 {

namespace {


std::string plural(std::uint64_t n, std::string_view word) {
    return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

Session::Session(SessionSettings settings) : settings_(std::move(settings)), tls_(settings_.tls_active) {
    // RFC 1939 section 4; no APOP timestamp, since APOP is not offered.
    ok(settings_.config->appliance.hostname + " ready.");
}

void Session::receive(std::string_view bytes) {
    // Keep the buffer from growing without end: drop what was consumed.
    if (in_pos_ > 0 && (in_pos_ == in_.size() || in_pos_ > 65536)) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    in_.append(bytes);
}

Session::Action Session::next() {
    if (closing_) return Action::close;
    if (waiting_) return Action::read;  // an action's result is due first; the server must not get here
    for (;;) {
        // RFC 2449 section 6.6: pipelined commands are answered in order; send
        // a large batch of replies before running more.
        if (out_.size() >= settings_.limits.max_output) return Action::write;
        std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
        const std::size_t eol = avail.find('\n');
        // A line without its LF yet that already fills max_line cannot end in time.
        const bool too_long = eol == std::string_view::npos ? avail.size() >= settings_.limits.max_line
                                                            : eol + 1 > settings_.limits.max_line;
        if (too_long) {
            err("Input line too long.");
            closing_ = true;
            return Action::close;
        }
        if (eol == std::string_view::npos) return Action::read;
        std::string_view line = avail.substr(0, eol);
        in_pos_ += eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::size_t errors = errors_;
        const Action a = handle_line(line);
        if (errors_ == errors) errors_in_a_row_ = 0;
        if (a != Action::read) return a;
    }
}

void Session::ok(std::string_view text) {
    out_ += "+OK";
    if (!text.empty()) {
        out_ += ' ';
        out_ += text;
    }
    out_ += "\r\n";
}

void Session::err(std::string_view text) {
    out_ += "-ERR ";
    out_ += text;
    out_ += "\r\n";
}

Session::Action Session::error(std::string_view text) {
    err(text);
    ++errors_in_a_row_;
    if (++errors_ >= settings_.limits.max_errors || errors_in_a_row_ >= settings_.limits.max_errors_in_a_row) {
        err("Too many bad commands.");
        closing_ = true;
        return Action::close;
    }
    return Action::read;
}

Session::Action Session::wait(Action a) {
    waiting_ = true;
    return a;
}

bool Session::plaintext_allowed() const { return tls_ || !settings_.config->tls.require_for_auth; }

Session::Action Session::handle_line(std::string_view line) {
    if (sasl_) return auth_step(sasl_->step(line));
    auto parsed = parse_command(line);
    if (const auto* e = std::get_if<SyntaxError>(&parsed)) return error(e->text);
    const Command& c = std::get<Command>(parsed);
    const bool authorization = state_ == State::authorization;
    // RFC 1939 sections 4-6: each command belongs to one state.
    auto in = [&](State s) { return state_ == s; };
    const char* wrong_state = authorization ? "Not logged in." : "Already logged in.";
    switch (c.verb) {
    case Verb::capa:
        return on_capa();  // RFC 2449 section 5: in every state
    case Verb::quit:
        return on_quit();
    case Verb::user:
        return authorization ? on_user(c) : error(wrong_state);
    case Verb::pass:
        return authorization ? on_pass(c) : error(wrong_state);
    case Verb::auth:
        return authorization ? on_auth(c) : error(wrong_state);
    case Verb::stls:
        return authorization ? on_stls() : error(wrong_state);  // RFC 2595 section 4
    case Verb::stat:
        return in(State::transaction) ? on_stat() : error(wrong_state);
    case Verb::list:
        return in(State::transaction) ? on_list(c, false) : error(wrong_state);
    case Verb::uidl:
        return in(State::transaction) ? on_list(c, true) : error(wrong_state);
    case Verb::retr:
    case Verb::top:
        return in(State::transaction) ? on_retr(c) : error(wrong_state);
    case Verb::dele:
        return in(State::transaction) ? on_dele(c) : error(wrong_state);
    case Verb::rset:
        return in(State::transaction) ? on_rset() : error(wrong_state);
    case Verb::noop:
        if (!in(State::transaction)) return error(wrong_state);
        ok();
        return Action::read;
    case Verb::unknown:
        break;
    }
    return error("Unknown command.");
}

Session::Action Session::on_capa() {
    // RFC 2449 section 5; USER, SASL and STLS only where they can be used
    // (sections 6.8, 6.3; RFC 2595 section 4), so a client never tries them in vain.
    std::string list = "+OK Capability list follows\r\nTOP\r\nUIDL\r\n";
    if (state_ == State::authorization && plaintext_allowed()) list += "USER\r\nSASL PLAIN LOGIN\r\n";
    list += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
    if (state_ == State::authorization && settings_.tls_offered && !tls_) list += "STLS\r\n";
    list += "EXPIRE NEVER\r\nIMPLEMENTATION mxlab\r\n.\r\n";
    out_ += list;
    return Action::read;
}

// RFC 1939 section 7 USER: the reply never says whether the name exists.
Session::Action Session::on_user(const Command& c) {
    if (!plaintext_allowed()) return error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
    pending_user_ = c.arg;
    ok();
    return Action::read;
}

Session::Action Session::on_pass(const Command& c) {
    if (!plaintext_allowed()) return error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
    if (pending_user_.empty()) return error("No username given.");
    credentials_ = auth::Credentials{{}, std::exchange(pending_user_, {}), c.arg};
    return wait(Action::authenticate);
}

// RFC 5034 section 4.
Session::Action Session::on_auth(const Command& c) {
    if (c.arg.empty()) {
        // A bare AUTH lists the mechanisms (RFC 1734's form, which Dovecot and clients still use).
        out_ += "+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n";
        return Action::read;
    }
    if (!plaintext_allowed()) return error("[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.");
    auto mech = auth::parse_mechanism(c.arg);
    if (!mech) return error("Unsupported authentication mechanism.");
    pending_user_.clear();
    sasl_.emplace(*mech);
    return auth_step(sasl_->start(c.initial_response));
}

Session::Action Session::auth_step(const auth::SaslExchange::Step& step) {
    using Kind = auth::SaslExchange::Step::Kind;
    if (step.kind == Kind::challenge) {
        out_ += "+ " + step.challenge + "\r\n";  // RFC 5034 section 4: "+ " even for an empty challenge
        return Action::read;
    }
    sasl_.reset();
    switch (step.kind) {
    case Kind::done:
        credentials_ = step.credentials;
        // Acting for someone else (a SASL authorization identity) is not supported.
        if (!credentials_.authzid.empty() && !iequals(credentials_.authzid, credentials_.authcid)) {
            credentials_ = {};
            return error("[AUTH] Authentication failed.");
        }
        return wait(Action::authenticate);
    case Kind::cancelled:
        return error("Authentication cancelled.");  // RFC 5034 section 4: "*" gets -ERR
    default:
        return error("Invalid SASL response.");
    }
}

void Session::auth_result(AuthOutcome outcome, std::string_view user, std::vector<Message> maildrop) {
    waiting_ = false;
    credentials_ = {};
    switch (outcome) {
    case AuthOutcome::ok:
        user_ = std::string(user);
        maildrop_ = std::move(maildrop);
        deleted_.assign(maildrop_.size(), false);
        state_ = State::transaction;
        ok("Logged in.");
        return;
    case AuthOutcome::bad_credentials:
        error("[AUTH] Authentication failed.");  // RFC 3206 section 4
        return;
    case AuthOutcome::throttled:
        err("[SYS/TEMP] Too many failed logins; try again later.");  // RFC 3206 section 5
        return;
    case AuthOutcome::unavailable:
        err("[SYS/TEMP] Temporary server failure; try again later.");
        return;
    case AuthOutcome::in_use:
        err("[IN-USE] Mailbox is locked by another POP3 session.");  // RFC 2449 section 8.1.2
        return;
    }
}

void Session::auth_throttled(std::chrono::seconds retry_after) {
    waiting_ = false;
    credentials_ = {};
    err("[SYS/TEMP] Too many failed logins; try again in " + auth::wait_text(retry_after) + ".");  // RFC 3206 section 5
}

Session::Action Session::on_stls() {
    if (tls_) return error("TLS is already active.");
    if (!settings_.tls_offered) return error("TLS support isn't enabled.");
    ok("Begin TLS negotiation");
    // RFC 2595 section 4 (and CVE-2011-0411): nothing sent before the handshake may count after it.
    in_.clear();
    in_pos_ = 0;
    return wait(Action::start_tls);
}

void Session::tls_started() {
    waiting_ = false;
    tls_ = true;
    pending_user_.clear();  // RFC 2595 section 4: forget what came before TLS; no new greeting
}

std::pair<std::size_t, std::uint64_t> Session::totals() const {
    std::size_t n = 0;
    std::uint64_t octets = 0;
    for (std::size_t i = 0; i < maildrop_.size(); ++i) {
        if (deleted_[i]) continue;
        ++n;
        octets += maildrop_[i].size;
    }
    return {n, octets};
}

// RFC 1939 section 5: a message number names one message that is not marked deleted.
std::optional<std::size_t> Session::message(std::uint64_t number, Action& refusal) {
    if (number == 0 || number > maildrop_.size()) {
        refusal = error("no such message, only " + plural(maildrop_.size(), "message") + " in maildrop");
        return std::nullopt;
    }
    if (deleted_[number - 1]) {
        refusal = error("message " + std::to_string(number) + " already deleted");
        return std::nullopt;
    }
    return static_cast<std::size_t>(number - 1);
}

// RFC 1939 section 5 STAT: "+OK nn mm", deleted messages left out.
Session::Action Session::on_stat() {
    const auto [n, octets] = totals();
    ok(std::to_string(n) + " " + std::to_string(octets));
    return Action::read;
}

// RFC 1939 section 5 LIST and section 7 UIDL: one line, or a multi-line listing of the undeleted messages.
Session::Action Session::on_list(const Command& c, bool uidl) {
    auto value = [&](std::size_t i) { return uidl ? maildrop_[i].uidl : std::to_string(maildrop_[i].size); };
    if (c.number) {
        Action refusal = Action::read;
        const auto i = message(*c.number, refusal);
        if (!i) return refusal;
        ok(std::to_string(*i + 1) + " " + value(*i));
        return Action::read;
    }
    if (uidl) {
        ok();
    } else {
        const auto [n, octets] = totals();
        ok(plural(n, "message") + " (" + std::to_string(octets) + " octets)");
    }
    for (std::size_t i = 0; i < maildrop_.size(); ++i) {
        if (!deleted_[i]) out_ += std::to_string(i + 1) + " " + value(i) + "\r\n";
    }
    out_ += ".\r\n";
    return Action::read;
}

// RFC 1939 section 5 RETR and section 7 TOP: the server streams the message.
Session::Action Session::on_retr(const Command& c) {
    Action refusal = Action::read;
    const auto i = message(*c.number, refusal);
    if (!i) return refusal;
    retrieval_ = Retrieval{*i, c.verb == Verb::top ? std::optional<std::uint64_t>(c.lines) : std::nullopt};
    return wait(Action::retrieve);
}

void Session::retrieve_started(bool available) {
    if (!available) {
        waiting_ = false;
        err("Message " + std::to_string(retrieval_.index + 1) + " is no longer available.");
        return;
    }
    if (retrieval_.top_lines) ok();
    else ok(std::to_string(maildrop_[retrieval_.index].size) + " octets");
}

void Session::retrieved() { waiting_ = false; }

// RFC 1939 section 5 DELE: marked only; removed in the UPDATE state.
Session::Action Session::on_dele(const Command& c) {
    Action refusal = Action::read;
    const auto i = message(*c.number, refusal);
    if (!i) return refusal;
    deleted_[*i] = true;
    ok("message " + std::to_string(*i + 1) + " deleted");
    return Action::read;
}

// RFC 1939 section 5 RSET: unmark all.
Session::Action Session::on_rset() {
    deleted_.assign(maildrop_.size(), false);
    const auto [n, octets] = totals();
    ok("maildrop has " + plural(n, "message") + " (" + std::to_string(octets) + " octets)");
    return Action::read;
}

// RFC 1939 section 4 (AUTHORIZATION: just leave) and section 6 (TRANSACTION: enter UPDATE).
Session::Action Session::on_quit() {
    if (state_ == State::transaction) {
        state_ = State::update;
        if (!deleted().empty()) return wait(Action::update);
    }
    ok("Logging out.");
    closing_ = true;
    return Action::close;
}

std::vector<std::size_t> Session::deleted() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < deleted_.size(); ++i) {
        if (deleted_[i]) out.push_back(i);
    }
    return out;
}

void Session::updated(UpdateOutcome outcome) {
    waiting_ = false;
    closing_ = true;
    switch (outcome) {
    case UpdateOutcome::done: ok("Logging out, " + plural(deleted().size(), "message") + " deleted."); break;
    case UpdateOutcome::failed: err("[SYS/TEMP] Some deleted messages were not removed."); break;  // RFC 1939 section 6
    case UpdateOutcome::mailbox_gone:
        // The messages marked are no longer where the login found them; the
        // ones now under INBOX, maybe with the same UIDs, are others.
        err("[SYS/TEMP] The mailbox was renamed or deleted while you were logged in; nothing was deleted.");
        break;
    }
}

}  // namespace mxlab::pop3
