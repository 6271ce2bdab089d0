// The SMTP server session: one handler per verb, each queueing its reply; see session.hpp.
#include "mail/smtp/session.hpp"

#include <algorithm>
#include <cstring>

#include "core/ascii.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/codec/date.hpp"

namespace mxlab::smtp {

namespace {


// Received and Date in local time with its numeric offset, as Postfix writes them.
std::string local_date(std::chrono::system_clock::time_point t) { return mail::rfc5322_date(t, mail::local_utc_offset(t)); }

void add_once(std::vector<std::string>& to, const std::string& s) {
    if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
}

// A hop limit as Postfix's hopcount_limit: a message that went round more often is looping.
constexpr int max_hops = 50;

// What the header section holds that we act on, and whether it has ended.
struct HeaderScan {
    bool has_date = false;
    bool has_message_id = false;
    int received = 0;
    bool ended = false;  // the empty line that ends the section was seen
};

HeaderScan scan_headers(std::string_view msg) {
    HeaderScan scan;
    std::size_t pos = 0;
    while (pos < msg.size()) {
        std::size_t eol = msg.find('\n', pos);
        std::string_view line = msg.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() && eol != std::string_view::npos) {
            scan.ended = true;
            break;
        }
        if (line.empty()) break;
        if (line[0] != ' ' && line[0] != '\t') {
            if (istarts_with(line, "date:")) scan.has_date = true;
            else if (istarts_with(line, "message-id:")) scan.has_message_id = true;
            else if (istarts_with(line, "received:")) ++scan.received;
        }
        if (eol == std::string_view::npos) break;
        pos = eol + 1;
    }
    return scan;
}

// The verb a refusal of this line would refuse, known even when the line does not parse.
std::optional<Refusal::Stage> stage_of(std::string_view line) {
    const std::string_view verb = line.substr(0, line.find_first_of(" \t"));
    if (iequals(verb, "MAIL")) return Refusal::Stage::mail;
    if (iequals(verb, "RCPT")) return Refusal::Stage::rcpt;
    if (iequals(verb, "DATA")) return Refusal::Stage::data;
    if (iequals(verb, "BDAT")) return Refusal::Stage::bdat;
    if (iequals(verb, "AUTH")) return Refusal::Stage::auth;
    return std::nullopt;
}

}  // namespace

std::string_view stage_name(Refusal::Stage stage) {
    switch (stage) {
    case Refusal::Stage::mail: return "mail";
    case Refusal::Stage::rcpt: return "rcpt";
    case Refusal::Stage::data: return "data";
    case Refusal::Stage::bdat: return "bdat";
    case Refusal::Stage::auth: return "auth";
    }
    return "mail";
}

Session::Session(SessionSettings settings, Client client, bool tls_active)
    : settings_(std::move(settings)), client_(client), tls_(tls_active) {
    if (!settings_.new_id) {
        settings_.new_id = [n = std::uint64_t{0}]() mutable { return "M" + std::to_string(++n); };
    }
    reply(220, "", settings_.config->appliance.hostname + " ESMTP mxlab");
}

void Session::refuse(std::string_view why) {
    out_.clear();
    reply(421, "4.7.0", settings_.config->appliance.hostname + " " + std::string(why));
    close_after_output_ = true;
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
    if (close_after_output_ || state_ == State::closed) {
        state_ = State::closed;
        return Action::close;
    }
    for (;;) {
        Action a = Action::read;
        switch (state_) {
        case State::waiting:
            return Action::read;  // an action's result is due first; the server must not get here
        case State::closed:
            return Action::close;
        case State::data:
            a = data_input();
            if (state_ == State::data) return Action::read;  // the data needs more input
            break;
        case State::bdat:
        case State::bdat_skip:
            a = bdat_input();
            if (state_ == State::bdat || state_ == State::bdat_skip) return Action::read;
            break;
        default: {
            std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
            std::size_t eol = avail.find('\n');
            // RFC 5321 section 4.5.3.1.4: a line over the limit gets one 500 and
            // is skipped to its end, whether it came in one read or in many.
            // The limit counts the line without its CRLF; a CR may still be waiting for its LF.
            const std::size_t length = eol == std::string_view::npos ? (avail.empty() || avail.back() != '\r' ? avail.size() : avail.size() - 1)
                                                                     : (eol > 0 && avail[eol - 1] == '\r' ? eol - 1 : eol);
            const bool too_long = length > settings_.limits.max_line;
            const std::string_view too_long_code = state_ == State::auth ? "5.5.6" : "5.5.2";  // RFC 4954 section 4 in AUTH
            if (eol == std::string_view::npos) {
                if (!too_long && !skipping_line_) return Action::read;
                in_pos_ = in_.size();
                if (skipping_line_) return Action::read;
                skipping_line_ = true;
                refusing_.reset();
                return error(500, too_long_code, "Error: line too long");
            }
            std::string_view line = avail.substr(0, eol);
            in_pos_ += eol + 1;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (skipping_line_) {
                skipping_line_ = false;
                continue;
            }
            if (too_long) {
                refusing_.reset();  // which command it was is not known
                a = error(500, too_long_code, "Error: line too long");
                if (a != Action::read) return a;
                continue;
            }
            const std::size_t errors = errors_;
            a = handle_line(line);
            if (errors_ == errors) errors_in_a_row_ = 0;
        }
        }
        if (a != Action::read) return a;
    }
}

Session::Action Session::error(int code, std::string_view enhanced, std::string_view text) {
    const std::size_t at = out_.size();
    reply(code, enhanced, text);
    note_refusal(at);
    ++errors_in_a_row_;
    if (++errors_ >= settings_.limits.max_errors || errors_in_a_row_ >= settings_.limits.max_errors_in_a_row) {
        reply(421, "4.7.0", settings_.config->appliance.hostname + " Error: too many errors");
        state_ = State::closed;
        return Action::close;
    }
    return Action::read;
}

void Session::quiet_refusal(int code, std::string_view enhanced, std::string_view text) {
    const std::size_t at = out_.size();
    reply(code, enhanced, text);
    if (quiet_noted_ || quiet_refusals_ >= settings_.limits.max_errors) return;
    quiet_noted_ = true;
    ++quiet_refusals_;
    note_refusal(at);
}

void Session::refusing(Refusal::Stage stage) {
    refusing_ = Refusal{stage, {}, txn_.id.empty() ? std::string() : "<" + txn_.sender.address + ">", {}, {}};
}

void Session::note_refusal(std::size_t reply_at) {
    if (!refusing_) return;
    Refusal r = *refusing_;
    r.reply = out_.substr(reply_at);
    while (!r.reply.empty() && (r.reply.back() == '\n' || r.reply.back() == '\r')) r.reply.pop_back();
    refusals_.push_back(std::move(r));
}

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
    reply(Reply{code, std::string(enhanced), std::string(text)});
}

void Session::reply(const Reply& r) { out_ += format(r, extended_); }

void Session::reset_transaction() {
    txn_ = Transaction{};
    reader_.reset();
    bdat_left_ = 0;
    bdat_last_ = false;
    bdat_failed_ = false;
    bdat_started_ = false;
    header_end_ = 0;
    headers_final_ = false;
    added_ = 0;
    hops_ = 0;
    next_header_look_ = 0;
    part_failed_ = false;
    quiet_noted_ = false;
}

void Session::begin_message() {
    txn_.message = received_header();
    header_end_ = txn_.message.size();
}

bool Session::auth_offered() const { return tls_ || !settings_.config->tls.require_for_auth; }

bool Session::relay_allowed() const {
    const auto& smtp = settings_.config->smtp;
    switch (smtp.relay) {
    case config::Relay::open:
        return true;
    case config::Relay::networks:
        if (!user_.empty()) return true;
        return std::any_of(smtp.relay_networks.begin(), smtp.relay_networks.end(),
                           [&](const config::Cidr& c) { return c.contains(client_.address); });
    case config::Relay::authenticated:
        return !user_.empty();
    case config::Relay::none:
        return false;
    }
    return false;
}

Session::Action Session::handle_line(std::string_view line) {
    if (state_ == State::auth) {
        refusing(Refusal::Stage::auth);
        auto step = sasl_->step(line);
        return auth_step(step);
    }
    refusing_.reset();
    if (auto stage = stage_of(line)) {
        refusing(*stage);
        if (stage == Refusal::Stage::mail) refusing_->from.clear();  // this MAIL's own path, once parsed
    }
    if (line.find('\0') != std::string_view::npos) return error(500, "5.5.2", "Error: NUL in command");
    bool utf8 = txn_.params.smtputf8;
    auto parsed = parse_command(line, utf8);
    if (auto* r = std::get_if<Reply>(&parsed)) return error(r->code, r->enhanced, r->text);
    const Command& c = std::get<Command>(parsed);
    if (c.verb == Verb::mail) refusing_->from = "<" + c.path.address + ">";
    if (c.verb == Verb::rcpt) refusing_->to = "<" + c.path.address + ">";
    switch (c.verb) {
    case Verb::ehlo:
        on_ehlo(c, true);
        return Action::read;
    case Verb::helo:
        on_ehlo(c, false);
        return Action::read;
    case Verb::mail:
        if (state_ == State::greeting) return error(503, "5.5.1", "Error: send HELO/EHLO first");
        if (state_ != State::ready) return error(503, "5.5.1", "Error: nested MAIL command");
        return on_mail(c);
    case Verb::rcpt:
        if (state_ != State::mail && state_ != State::rcpt) return error(503, "5.5.1", "Error: need MAIL command");
        if (bdat_started_) return error(503, "5.5.1", "Error: BDAT in progress");
        return on_rcpt(c);
    case Verb::data:
        return on_data();
    case Verb::bdat:
        return on_bdat(c);
    case Verb::rset:
        reset_transaction();
        if (state_ != State::greeting) state_ = State::ready;
        reply(250, "2.0.0", "Ok");
        return Action::read;
    case Verb::noop:
        reply(250, "2.0.0", "Ok");
        return Action::read;
    case Verb::quit:
        reply(221, "2.0.0", "Bye");
        state_ = State::closed;
        return Action::close;
    case Verb::vrfy:
        // RFC 5321 section 3.5.3: 252 rather than confirming who exists.
        reply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
        return Action::read;
    case Verb::expn:
        return error(502, "5.5.1", "Error: EXPN is not available");
    case Verb::help:
        reply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH (RFC 5321)");
        return Action::read;
    case Verb::starttls:
        return on_starttls();
    case Verb::auth:
        return on_auth(c);
    case Verb::unknown:
        break;
    }
    return error(500, "5.5.2", "Error: command not recognized");
}

void Session::on_ehlo(const Command& c, bool extended) {
    reset_transaction();
    helo_ = c.arg;
    extended_ = extended;
    state_ = State::ready;
    const auto& cfg = *settings_.config;
    if (!extended) {
        reply(250, "", cfg.appliance.hostname);
        return;
    }
    std::string text = cfg.appliance.hostname;
    text += "\nPIPELINING";
    text += "\nSIZE " + std::to_string(cfg.smtp.max_message_size);
    if (settings_.tls_offered && !tls_) text += "\nSTARTTLS";
    if (auth_offered() && user_.empty()) text += "\nAUTH PLAIN LOGIN";
    text += "\nENHANCEDSTATUSCODES\n8BITMIME\nBINARYMIME\nCHUNKING\nSMTPUTF8";
    reply(250, "", text);
}

Session::Action Session::on_mail(const Command& c) {
    const auto& cfg = *settings_.config;
    if (settings_.port != Port::mx && user_.empty()) return error(530, "5.7.0", "Authentication required");
    if (c.mail.size && *c.mail.size > cfg.smtp.max_message_size)
        return error(552, "5.3.4", "Message size exceeds fixed limit");
    if ((c.mail.smtputf8 || c.mail.body != Body::seven_bit) && !extended_)
        return error(555, "5.5.4", "Error: ESMTP parameters need EHLO");
    // Once authenticated, the sender rule holds on every port: AUTH on 25 is no way to send as someone else.
    if (!user_.empty() && !settings_.directory->may_send_as(user_, c.path.address))
        return error(553, "5.7.1", "<" + c.path.address + ">: Sender address rejected: not owned by user " + user_);
    txn_.id = settings_.new_id();
    txn_.sender = c.path;
    txn_.params = c.mail;
    state_ = State::mail;
    reply(250, "2.1.0", "Ok");
    return Action::read;
}

Session::Action Session::on_rcpt(const Command& c) {
    const auto& cfg = *settings_.config;
    if (txn_.recipients.size() >= settings_.limits.max_recipients) {
        quiet_refusal(452, "4.5.3", "Error: too many recipients");  // RFC 5321 section 4.5.3.1.10: not an error the client caused
        return Action::read;
    }
    std::string address = c.path.address;
    auth::Recipient r;
    if (c.path.domain.empty()) {
        // "<postmaster>" (RFC 5321 section 4.1.1.3): the first local domain that has one.
        for (const auto& d : cfg.domains) {
            if (!d.mail) continue;
            r = settings_.directory->resolve(c.path.local + "@" + d.name);
            if (r.kind == auth::Recipient::Kind::local) break;
        }
    } else {
        r = settings_.directory->resolve(address);
    }
    Recipient rcpt{address, {}, {}, false};
    switch (r.kind) {
    case auth::Recipient::Kind::unknown:
        return error(550, "5.1.1", "<" + address + ">: Recipient address rejected: user unknown");
    case auth::Recipient::Kind::local:
        rcpt.users = std::move(r.users);
        rcpt.remote = std::move(r.remote);
        break;
    case auth::Recipient::Kind::remote:
        if (!relay_allowed()) return error(550, "5.7.1", "<" + address + ">: Relaying denied");
        rcpt.remote = {address};
        rcpt.relayed = true;
        break;
    }
    txn_.recipients.push_back(std::move(rcpt));
    state_ = State::rcpt;
    reply(250, "2.1.5", "Ok");
    return Action::read;
}

Session::Action Session::on_data() {
    if (state_ == State::greeting || state_ == State::ready) return error(503, "5.5.1", "Error: need RCPT command");
    if (state_ == State::mail) return error(554, "5.5.1", "Error: no valid recipients");
    if (bdat_started_) return error(503, "5.5.1", "Error: BDAT in progress");
    if (txn_.params.body == Body::binary_mime) return error(503, "5.5.1", "Error: BINARYMIME needs BDAT");  // RFC 3030 section 3
    begin_message();
    reader_.emplace(settings_.config->smtp.max_message_size);
    state_ = State::data;
    reply(354, "", "End data with <CR><LF>.<CR><LF>");
    return Action::read;
}

Session::Action Session::data_input() {
    std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
    auto step = reader_->feed(avail, txn_.message);
    in_pos_ += step.consumed;
    if (!step.done) return reader_->ok() ? store_part_or(Action::read) : Action::read;
    refusing(Refusal::Stage::data);
    if (reader_->too_big()) return reject_message(552, "5.3.4", "Error: message size exceeds fixed limit");
    if (reader_->smuggling())
        return reject_message(550, "5.5.2", "Error: bare <LF> or <CR> around the end of data is not allowed (SMTP smuggling)");
    if (reader_->line_too_long())
        return reject_message(554, "5.6.0", "Error: message has a line longer than 1000 octets (RFC 5321 section 4.5.3.1.6)");
    return finish_message();
}

Session::Action Session::reject_message(int code, std::string_view enhanced, std::string_view text) {
    reset_transaction();
    state_ = State::ready;
    return error(code, enhanced, text);
}

Session::Action Session::on_bdat(const Command& c) {
    // RFC 3030 section 2: whatever the reply, the chunk's bytes follow and must be consumed.
    bdat_left_ = c.chunk_size;
    bdat_last_ = c.last;
    const char* refusal = nullptr;
    if (state_ == State::greeting || state_ == State::ready) refusal = "Error: need RCPT command";
    else if (state_ == State::mail) refusal = "Error: no valid recipients";
    if (refusal) {
        before_skip_ = state_;
        state_ = State::bdat_skip;
        pending_refusal_ = refusal;
        return Action::read;
    }
    if (!bdat_started_) {
        bdat_started_ = true;
        begin_message();
    }
    state_ = State::bdat;
    return Action::read;
}

Session::Action Session::bdat_input() {
    std::size_t n = std::min<std::uint64_t>(bdat_left_, in_.size() - in_pos_);
    if (state_ == State::bdat && !bdat_failed_) {
        if (client_bytes() + n > settings_.config->smtp.max_message_size) {
            bdat_failed_ = true;
            txn_.message.clear();
        } else {
            txn_.message.append(in_, in_pos_, n);
        }
    }
    in_pos_ += n;
    bdat_left_ -= n;
    const bool keeping = state_ == State::bdat && !bdat_failed_;
    if (bdat_left_ > 0) return keeping ? store_part_or(Action::read) : Action::read;
    refusing(Refusal::Stage::bdat);
    if (state_ == State::bdat_skip) {
        state_ = before_skip_;
        return error(503, "5.5.1", pending_refusal_);
    }
    if (!bdat_last_) {
        state_ = State::rcpt;
        reply(250, "2.0.0", std::to_string(bdat_failed_ ? 0 : client_bytes()) + " octets received");
        return keeping ? store_part_or(Action::read) : Action::read;  // many small chunks add up too
    }
    if (bdat_failed_) return reject_message(552, "5.3.4", "Error: message size exceeds fixed limit");
    return finish_message();
}

bool Session::finalize_headers(bool at_end) {
    if (headers_final_) return true;
    // Past max_header_section the rest counts as body (Postfix's header_size_limit), so a
    // header section that never ends is staged like any other data instead of held in memory.
    const auto client_part = std::string_view(txn_.message).substr(header_end_);
    const bool bounded = client_part.size() >= settings_.limits.max_header_section;
    auto scan = scan_headers(client_part.substr(0, settings_.limits.max_header_section));
    if (!scan.ended && !at_end && !bounded) return false;
    hops_ = scan.received + 1;  // and ours, as Postfix's cleanup counts smtpd's
    if (settings_.port != Port::mx && (!scan.has_date || !scan.has_message_id)) {
        // A submission server completes what the client left out (RFC 6409 section 8).
        std::string added;
        if (!scan.has_date) added += "Date: " + local_date(settings_.now()) + "\r\n";
        if (!scan.has_message_id) added += "Message-ID: <" + txn_.id + "@" + settings_.config->appliance.hostname + ">\r\n";
        txn_.message.insert(header_end_, added);
        added_ = added.size();
    }
    headers_final_ = true;
    next_header_look_ = 0;
    return true;
}

Session::Action Session::store_part_or(Action otherwise) {
    const std::size_t held = txn_.message.size();
    if (held < settings_.limits.store_part_at || held < next_header_look_) return otherwise;
    // Our added header lines go in before the client's data, so nothing is
    // stored until the client's header section has ended.
    if (!finalize_headers(false)) {
        next_header_look_ = held * 2;  // a huge header section is looked through again only as it doubles
        return otherwise;
    }
    if (part_failed_ || hops_ > max_hops) {  // the message will be refused: drop what arrives, but keep counting it
        txn_.stored += held;
        txn_.message.clear();
        return otherwise;
    }
    after_part_ = state_;
    state_ = State::waiting;
    return Action::store_part;
}

void Session::part_stored(bool ok) {
    if (!ok) part_failed_ = true;
    txn_.stored += txn_.message.size();
    txn_.message.clear();
    state_ = after_part_;
}

Session::Action Session::finish_message() {
    finalize_headers(true);
    if (hops_ > max_hops) return reject_message(554, "5.4.6", "Error: too many hops (mail loop?)");
    if (part_failed_) {
        delivered("a part of the message could not be stored");
        return Action::read;
    }
    for (const auto& r : txn_.recipients) {
        for (const auto& u : r.users) add_once(txn_.local_users, u);
        for (const auto& a : r.remote) add_once(txn_.remote, a);
    }
    state_ = State::waiting;
    return Action::deliver;
}

void Session::delivered(std::string_view error_text) {
    if (error_text.empty()) {
        reply(250, "2.0.0", "Ok: queued as " + txn_.id);
    } else {
        // The reason stays in our log: a reply must not leak the server's internals.
        refusing(bdat_started_ ? Refusal::Stage::bdat : Refusal::Stage::data);
        quiet_refusal(451, "4.3.0", "Error: temporary failure storing the message; try again later");
    }
    reset_transaction();
    state_ = State::ready;
}

Session::Action Session::on_starttls() {
    if (tls_) return error(554, "5.5.1", "Error: TLS already active");
    if (!settings_.tls_offered || settings_.port == Port::smtps) return error(502, "5.5.1", "Error: command not implemented");
    reply(220, "2.0.0", "Ready to start TLS");
    // RFC 3207 section 4.2 (and CVE-2011-0411): nothing sent before the handshake may count after it.
    in_.clear();
    in_pos_ = 0;
    state_ = State::waiting;
    return Action::start_tls;
}

void Session::tls_started() {
    tls_ = true;
    // RFC 3207 section 4.2: forget everything learnt from the client before TLS.
    reset_transaction();
    helo_.clear();
    user_.clear();
    extended_ = false;
    state_ = State::greeting;
}

Session::Action Session::on_auth(const Command& c) {
    if (!extended_) return error(503, "5.5.1", "Error: send EHLO first");
    if (!auth_offered()) return error(538, "5.7.11", "Encryption required for requested authentication mechanism");
    if (!user_.empty()) return error(503, "5.5.1", "Error: already authenticated");
    if (state_ != State::ready) return error(503, "5.5.1", "Error: MAIL transaction in progress");
    std::string_view arg = c.arg;
    std::size_t sp = arg.find(' ');
    auto mech = auth::parse_mechanism(arg.substr(0, sp));
    if (!mech) return error(504, "5.5.4", "Error: unsupported authentication mechanism");
    std::optional<std::string_view> initial;
    if (sp != std::string_view::npos) initial = arg.substr(sp + 1);
    sasl_.emplace(*mech);
    return auth_step(sasl_->start(initial));
}

Session::Action Session::auth_step(const auth::SaslExchange::Step& step) {
    using Kind = auth::SaslExchange::Step::Kind;
    switch (step.kind) {
    case Kind::challenge:
        out_ += "334 " + step.challenge + "\r\n";
        state_ = State::auth;
        return Action::read;
    case Kind::done:
        state_ = State::ready;
        sasl_.reset();
        credentials_ = step.credentials;
        if (refusing_) refusing_->user = credentials_.authcid;
        // Acting for someone else (a SASL authorization identity) is not supported.
        if (!credentials_.authzid.empty() && !iequals(credentials_.authzid, credentials_.authcid))
            return error(535, "5.7.8", "Error: authentication failed");
        state_ = State::waiting;
        return Action::authenticate;
    case Kind::malformed:
        state_ = State::ready;
        sasl_.reset();
        return error(501, "5.5.2", "Error: cannot decode response");
    case Kind::cancelled:
        state_ = State::ready;
        sasl_.reset();
        return error(501, "5.7.0", "Error: authentication aborted");
    }
    return Action::read;
}

void Session::auth_result(AuthOutcome outcome, std::string_view user) {
    state_ = State::ready;
    refusing(Refusal::Stage::auth);
    refusing_->user = credentials_.authcid;
    credentials_ = {};
    switch (outcome) {
    case AuthOutcome::ok:
        user_ = std::string(user);
        reply(235, "2.7.0", "Authentication successful");
        return;
    case AuthOutcome::bad_credentials:
        error(535, "5.7.8", "Error: authentication failed");
        return;
    case AuthOutcome::throttled:
        quiet_refusal(454, "4.7.0", "Error: too many failed logins; try again later");
        return;
    case AuthOutcome::unavailable:
        quiet_refusal(454, "4.7.0", "Temporary authentication failure; try again later");  // RFC 4954 section 6
        return;
    }
}

void Session::auth_throttled(std::chrono::seconds retry_after) {
    state_ = State::ready;
    refusing(Refusal::Stage::auth);
    refusing_->user = credentials_.authcid;
    credentials_ = {};
    // RFC 4954 section 6: 454 is a temporary failure; the client may try later, and now knows when.
    // It counts as an error, so a client that keeps trying is hung up on.
    error(454, "4.7.0", "Error: too many failed logins; try again in " + auth::wait_text(retry_after));
}

std::string Session::received_header() const {
    const auto& cfg = *settings_.config;
    // RFC 3848 / RFC 6531 section 4.3: the protocol says what the session used.
    std::string proto = txn_.params.smtputf8 ? "UTF8SMTP" : (extended_ ? "ESMTP" : "SMTP");
    if (extended_ || txn_.params.smtputf8) {
        if (tls_) proto += "S";
        if (!user_.empty()) proto += "A";
    }
    std::string h = "Received: from " + (helo_.empty() ? std::string("unknown") : helo_) + " ([" + client_.address.str() + "])\r\n";
    h += "\tby " + cfg.appliance.hostname + " (mxlab) with " + proto + " id " + txn_.id;
    if (txn_.recipients.size() == 1) h += "\r\n\tfor <" + txn_.recipients[0].address + ">";
    h += "; " + local_date(settings_.now()) + "\r\n";
    return h;
}

}  // namespace mxlab::smtp
