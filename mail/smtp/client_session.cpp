// The outbound SMTP client session: one handler per reply due, each settling recipients and choosing the next Action; see client_session.hpp.
#include "mail/smtp/client_session.hpp"

#include <algorithm>
#include <utility>

#include "core/ascii.hpp"
#include "mail/smtp/reply_reader.hpp"

namespace mxlab::smtp {

namespace {

using Outcome = ClientSession::Outcome;

// Why `address` cannot go into a MAIL or RCPT line, or "" when it can. A CR
// or LF there would end the command early and let the rest be read as a
// command of its own; 1000 octets is a whole text line (RFC 5321 section
// 4.5.3.1.6), far beyond the 256 of a path (section 4.5.3.1.3).
std::string_view bad_address(std::string_view address, bool empty_ok) {
    if (address.empty()) return empty_ok ? "" : "empty address";
    if (address.size() >= 1000) return "address of 1000 octets or more";
    for (const char ch : address) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7f) return "control character in address";
    }
    return "";
}

bool non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// A refusal's outcome: 5xx is permanent; 4xx, and any code that makes no
// sense where it came (a 3xx to RCPT), is temporary rather than a bounce.
Outcome refusal(int code) { return code / 100 == 5 ? Outcome::failed : Outcome::deferred; }

// RFC 3463: the reply's enhanced code when its class agrees with the outcome
// we give, else the class's "x.0.0" (a server without ENHANCEDSTATUSCODES).
std::string status_for(const Reply& reply, Outcome outcome) {
    const char cls = outcome == Outcome::delivered ? '2' : outcome == Outcome::deferred ? '4' : '5';
    if (!reply.enhanced.empty() && reply.enhanced[0] == cls) return reply.enhanced;
    return std::string(1, cls) + ".0.0";
}

// A reply on one line, for a result or a failure text. A server may send 200
// lines of 4096 octets, and each recipient keeps its own copy: cut at 2048
// octets, Postfix's line_length_limit for the reply text it keeps, on a
// UTF-8 character boundary.
std::string reply_line(const Reply& reply, std::size_t max = 2048) {
    std::string s = one_line(reply);
    if (s.size() <= max) return s;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
    s.resize(cut);
    return s + "...";
}

}  // namespace

Extensions parse_ehlo(const Reply& reply) {
    Extensions e;
    e.esmtp = true;
    std::string_view rest = reply.text;
    // RFC 5321 section 4.1.1.1: the first line is the server's name; each
    // later line is "keyword [params]".
    for (bool first = true;; first = false) {
        const std::size_t nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        if (!first) {
            const std::size_t sp = line.find(' ');
            const std::string_view keyword = line.substr(0, sp);
            std::string_view param = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
            param = param.substr(0, param.find(' '));
            if (iequals(keyword, "PIPELINING")) e.pipelining = true;
            else if (iequals(keyword, "STARTTLS")) e.starttls = true;
            else if (iequals(keyword, "8BITMIME")) e.eight_bit_mime = true;
            else if (iequals(keyword, "SMTPUTF8")) e.smtputf8 = true;
            else if (iequals(keyword, "ENHANCEDSTATUSCODES")) e.enhanced_status_codes = true;
            else if (iequals(keyword, "SIZE")) {
                // RFC 1870 section 4: "SIZE" alone or "SIZE 0" announces no
                // limit; a limit we cannot read (or that overflows) is no
                // limit either: the server will say so at MAIL or DATA.
                e.size = true;
                std::uint64_t n = 0;
                bool ok = !param.empty() && param.size() <= 19;
                for (const char c : param) ok = ok && c >= '0' && c <= '9';
                if (ok) {
                    for (const char c : param) n = n * 10 + static_cast<std::uint64_t>(c - '0');
                    e.size_limit = n;
                }
            }
        }
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
    }
    return e;
}

ClientSession::ClientSession(std::string helo_name, std::string peer, bool try_starttls)
    : helo_name_(std::move(helo_name)), peer_(std::move(peer)), try_starttls_(try_starttls) {}

ClientSession::Action ClientSession::read(std::string output, std::chrono::seconds timeout) {
    return Action{Action::Kind::read, std::move(output), timeout};
}

ClientSession::Action ClientSession::act(Action::Kind kind, std::chrono::seconds timeout) {
    return Action{kind, {}, timeout};
}

ClientSession::Action ClientSession::start() {
    if (state_ != State::greeting) return misuse("start() after the greeting");
    return read({}, client_timeout::greeting);
}

ClientSession::Action ClientSession::on_reply(const Reply& reply) {
    const int cls = reply.code / 100;
    // RFC 5321 section 3.8: 421 is the server closing the channel, whatever
    // the command was; nothing more will be answered.
    if (reply.code == 421 && state_ != State::quit && state_ != State::closed) return host_refused(reply);
    switch (state_) {
    case State::greeting:
        // RFC 5321 section 3.1: 220, or 554 and only QUIT is answered.
        if (cls != 2) return host_refused(reply);
        state_ = State::ehlo;
        return read("EHLO " + helo_name_ + "\r\n", client_timeout::helo);
    case State::ehlo:
        if (cls == 2) {
            ext_ = parse_ehlo(reply);
            if (ext_.starttls && try_starttls_ && !tls_) {
                state_ = State::starttls;
                return read("STARTTLS\r\n", client_timeout::starttls);
            }
            state_ = State::ready;
            return act(Action::Kind::idle);
        }
        // RFC 5321 section 3.2: a 5xx to EHLO (500, 502, 550...) means an
        // old server; HELO then. A 4xx is the server's trouble, not ours.
        if (cls != 5) return host_refused(reply);
        state_ = State::helo;
        return read("HELO " + helo_name_ + "\r\n", client_timeout::helo);
    case State::helo:
        if (cls != 2) return host_refused(reply);
        ext_ = Extensions{};  // HELO: no service extensions
        state_ = State::ready;
        return act(Action::Kind::idle);
    case State::starttls:
        if (cls == 2) {
            state_ = State::tls;
            return act(Action::Kind::start_tls, client_timeout::starttls);
        }
        // Opportunistic TLS (RFC 3207 section 4.1): a refusal (454, 5xx)
        // leaves the plaintext session as it was, extensions and all.
        state_ = State::ready;
        return act(Action::Kind::idle);
    case State::rset:
        if (cls != 2) return host_refused(reply);
        return begin_transaction();
    case State::envelope:
        return on_envelope_reply(reply);
    case State::data_end:
        return on_data_end_reply(reply);
    case State::quit:
        // RFC 5321 section 4.1.1.10: 221 expected, but the session is over whatever came.
        state_ = State::closed;
        return act(Action::Kind::close);
    case State::closed:
        return act(Action::Kind::close);
    case State::tls:
    case State::ready:
    case State::data:
        break;
    }
    return failed(Failure::protocol, "unexpected reply \"" + reply_line(reply, 200) + "\"");
}

// The replies to MAIL, each RCPT and DATA, in the order the commands went out
// (RFC 2920 section 3.1 when pipelined).
ClientSession::Action ClientSession::on_envelope_reply(const Reply& reply) {
    if (pending_.empty()) return failed(Failure::protocol, "reply \"" + reply_line(reply, 200) + "\" with no command due");
    const Pending due = pending_.front();
    pending_.pop_front();
    const int cls = reply.code / 100;
    switch (due.what) {
    case Expect::mail:
        // RFC 5321 section 4.1.1.2: a refused MAIL refuses the whole message.
        mail_ok_ = cls == 2;
        if (!mail_ok_) finish_rest(reply, refusal(reply.code), "MAIL FROM");
        if (!pipelined_) return mail_ok_ ? next_command() : message_done();
        break;
    case Expect::rcpt:
        // After a refused MAIL the pipelined RCPTs' replies (503) mean nothing.
        if (mail_ok_ && due.index < rcpts_.size() && !rcpts_[due.index].finished) {
            Recipient& r = rcpts_[due.index];
            if (cls == 2) r.accepted = true;
            else finish_reply(r, reply, refusal(reply.code), "RCPT TO");
        }
        if (!pipelined_) return next_command();
        break;
    case Expect::data:
        if (cls == 3) {
            if (mail_ok_ && accepted() > 0) {
                state_ = State::data;
                return act(Action::Kind::send_data, client_timeout::data_block);
            }
            // RFC 2920 section 3.1: the pipelined DATA was accepted though no
            // recipient was; send an empty message, whose reply changes nothing.
            empty_data_ = true;
            state_ = State::data_end;
            return read(".\r\n", client_timeout::data_done);
        }
        // DATA refused (or a 2xx, which is no go-ahead): the accepted
        // recipients take its reply; the transaction is still open.
        for (Recipient& r : rcpts_) {
            if (r.accepted && !r.finished) finish_reply(r, reply, refusal(reply.code), "DATA");
        }
        return message_done();
    }
    if (pending_.empty()) return failed(Failure::protocol, "no DATA in the pipelined batch");  // cannot happen: DATA is last
    return read({}, pending_.front().what == Expect::rcpt ? client_timeout::rcpt : client_timeout::data_init);
}

ClientSession::Action ClientSession::on_data_end_reply(const Reply& reply) {
    // RFC 5321 section 4.1.1.4: the end of data ends the transaction,
    // whatever the reply (only a 3xx here would leave us unsure).
    rset_needed_ = reply.code / 100 == 3;
    if (!empty_data_) {
        const Outcome outcome = reply.code / 100 == 2 ? Outcome::delivered : refusal(reply.code);
        for (Recipient& r : rcpts_) {
            if (r.accepted && !r.finished) finish_reply(r, reply, outcome, "end of DATA");
        }
    }
    return message_done();
}

ClientSession::Action ClientSession::send(ClientMessage message) {
    if (state_ == State::closed) return act(Action::Kind::close);
    if (state_ != State::ready) return misuse("send() while a command is under way");
    message_ = std::move(message);
    rcpts_.clear();
    rcpts_.reserve(message_.recipients.size());
    for (const auto& a : message_.recipients) rcpts_.push_back(Recipient{Result{a, Outcome::deferred, {}, {}, {}}});
    in_message_ = true;
    results_ready_ = false;

    if (auto why = bad_address(message_.sender, true); !why.empty()) {
        finish_rest(Outcome::failed, "bad sender address syntax: " + std::string(why), "5.1.7");
        return message_done();
    }
    bool utf8 = message_.smtputf8 || non_ascii(message_.sender);
    for (Recipient& r : rcpts_) {
        if (auto why = bad_address(r.result.address, false); !why.empty()) {
            finish(r, Outcome::failed, "bad recipient address syntax: " + std::string(why), "5.1.3", {});
        } else {
            utf8 = utf8 || non_ascii(r.result.address);
        }
    }
    smtputf8_ = utf8;
    if (utf8 && !ext_.smtputf8) {
        // RFC 6531 section 3.4: without the extension the message cannot go
        // to this server as it is (no downgrade here).
        finish_rest(Outcome::failed, "SMTPUTF8 is required, but was not offered by host " + peer_, "5.6.7");
    } else if (ext_.size && ext_.size_limit != 0 && message_.size > ext_.size_limit) {
        // RFC 1870 section 6.2: a message over the announced SIZE would be
        // refused; don't send it. Permanent, as in Postfix.
        finish_rest(Outcome::failed,
                    "message size " + std::to_string(message_.size) + " exceeds size limit " +
                        std::to_string(ext_.size_limit) + " of server " + peer_,
                    "5.3.4");
    }
    if (std::all_of(rcpts_.begin(), rcpts_.end(), [](const Recipient& r) { return r.finished; })) return message_done();
    if (rset_needed_) {
        // RFC 5321 section 4.1.1.5: a transaction left open (MAIL refused,
        // no recipient accepted) is cleared before the next one.
        state_ = State::rset;
        return read("RSET\r\n", client_timeout::rset);
    }
    return begin_transaction();
}

ClientSession::Action ClientSession::begin_transaction() {
    state_ = State::envelope;
    rset_needed_ = true;  // until a final reply to the data
    mail_ok_ = false;
    empty_data_ = false;
    next_rcpt_ = 0;
    pending_.clear();
    pipelined_ = ext_.pipelining;
    std::string out = mail_command();
    pending_.push_back({Expect::mail, 0});
    if (!pipelined_) return read(std::move(out), client_timeout::mail);
    // RFC 2920 section 3.1: MAIL, the RCPTs and DATA in one batch, DATA last.
    for (std::size_t i = 0; i < rcpts_.size(); ++i) {
        if (rcpts_[i].finished) continue;
        out += "RCPT TO:<" + rcpts_[i].result.address + ">\r\n";
        pending_.push_back({Expect::rcpt, i});
    }
    out += "DATA\r\n";
    pending_.push_back({Expect::data, 0});
    return read(std::move(out), client_timeout::mail);
}

ClientSession::Action ClientSession::next_command() {
    while (next_rcpt_ < rcpts_.size() && rcpts_[next_rcpt_].finished) ++next_rcpt_;
    if (next_rcpt_ < rcpts_.size()) {
        const std::size_t i = next_rcpt_++;
        pending_.push_back({Expect::rcpt, i});
        return read("RCPT TO:<" + rcpts_[i].result.address + ">\r\n", client_timeout::rcpt);
    }
    if (accepted() > 0) {
        pending_.push_back({Expect::data, 0});
        return read("DATA\r\n", client_timeout::data_init);
    }
    return message_done();  // no recipient accepted: no DATA (RFC 5321 section 3.3)
}

std::string ClientSession::mail_command() const {
    // RFC 5321 section 4.1.1.2 with RFC 1870 SIZE=, RFC 6152 BODY= and RFC 6531 SMTPUTF8.
    std::string c = "MAIL FROM:<" + message_.sender + ">";
    if (ext_.size) c += " SIZE=" + std::to_string(message_.size);
    // Without 8BITMIME an 8-bit body goes anyway, as Postfix sends it
    // (smtp_never_send_ehlo aside): most servers take it, and refusing
    // would help no one.
    if (message_.eight_bit && ext_.eight_bit_mime) c += " BODY=8BITMIME";
    if (smtputf8_) c += " SMTPUTF8";
    return c + "\r\n";
}

ClientSession::Action ClientSession::message_done() {
    // Every recipient has an outcome by now; one without would be our bug,
    // and is still not lost.
    finish_rest(Outcome::deferred, "internal error: no outcome for this recipient", "4.3.0");
    in_message_ = false;
    results_ready_ = true;
    pending_.clear();
    state_ = State::ready;
    return act(Action::Kind::idle);
}

ClientSession::Action ClientSession::tls_done(bool ok, std::string_view error) {
    if (state_ == State::closed) return act(Action::Kind::close);
    if (state_ != State::tls) return misuse("tls_done() without a STARTTLS go-ahead");
    if (!ok) {
        std::string text = "TLS handshake with " + peer_ + " failed";
        if (!error.empty()) text += ": " + std::string(error);
        return end(std::move(text), "4.7.5");
    }
    tls_ = true;
    ext_ = Extensions{};  // RFC 3207 section 4.2: forget what was learned before TLS
    state_ = State::ehlo;
    return read("EHLO " + helo_name_ + "\r\n", client_timeout::helo);
}

ClientSession::Action ClientSession::data_sent() {
    if (state_ == State::closed) return act(Action::Kind::close);
    if (state_ != State::data) return misuse("data_sent() without a DATA go-ahead");
    state_ = State::data_end;
    return read({}, client_timeout::data_done);
}

ClientSession::Action ClientSession::quit() {
    if (state_ == State::closed) return act(Action::Kind::close);
    if (state_ != State::ready) return end("delivery to " + peer_ + " aborted while " + std::string(doing()), "4.3.0");
    state_ = State::quit;
    return read("QUIT\r\n", client_timeout::quit);
}

ClientSession::Action ClientSession::failed(Failure what, std::string_view detail) {
    if (state_ == State::quit || state_ == State::closed) {
        // RFC 5321 section 4.1.1.10: the 221 is a courtesy; a lost connection here loses nothing.
        state_ = State::closed;
        return act(Action::Kind::close);
    }
    std::string text;
    std::string_view status = "4.4.2";  // RFC 3463: bad connection
    switch (what) {
    case Failure::closed:
        text = "lost connection with " + peer_ + " while " + std::string(doing());
        break;
    case Failure::timeout:
        text = "conversation with " + peer_ + " timed out while " + std::string(doing());
        break;
    case Failure::protocol:
        text = "protocol error with " + peer_ + " while " + std::string(doing());
        status = "4.5.0";  // RFC 3463: other protocol status
        break;
    case Failure::local:
        text = "local data error while talking to " + peer_;
        status = "4.3.0";  // RFC 3463: other mail system status
        break;
    }
    if (!detail.empty()) text += ": " + std::string(detail);
    return end(std::move(text), status);
}

ClientSession::Action ClientSession::misuse(std::string_view what) {
    return end("internal error while talking to " + peer_ + ": " + std::string(what), "4.3.0");
}

// The session ends without a reply to blame: the message under way is
// deferred (or, before its first command, left untried), and the connection
// closed without QUIT: the stream is broken or out of step.
ClientSession::Action ClientSession::end(std::string text, std::string_view status) {
    if (state_ == State::closed) return act(Action::Kind::close);
    if (in_message_) {
        if (state_ == State::rset) {
            drop_message();
        } else {
            finish_rest(Outcome::deferred, text, status);
            in_message_ = false;
            results_ready_ = true;
        }
    }
    host_failure_ = HostFailure{std::move(text), Reply{}, false};
    state_ = State::closed;
    pending_.clear();
    return act(Action::Kind::close);
}

// A reply refuses the session itself: the greeting, EHLO then HELO, RSET,
// or a 421 anywhere.
ClientSession::Action ClientSession::host_refused(const Reply& reply) {
    std::string text = state_ == State::greeting
                           ? "host " + peer_ + " refused to talk to me: " + reply_line(reply)
                           : "host " + peer_ + " said: " + reply_line(reply) + " (in reply to " + std::string(command_name()) + " command)";
    if (in_message_) {
        if (state_ == State::rset) {
            drop_message();
        } else {
            finish_rest(reply, Outcome::deferred, command_name());
            in_message_ = false;
            results_ready_ = true;
        }
    }
    host_failure_ = HostFailure{std::move(text), reply, reply.permanent()};
    pending_.clear();
    if (reply.code == 421) {
        // RFC 5321 section 3.8: the server is closing; no QUIT.
        state_ = State::closed;
        return act(Action::Kind::close);
    }
    // RFC 5321 section 3.1, 4.1.1.10: end politely.
    state_ = State::quit;
    return read("QUIT\r\n", client_timeout::quit);
}

void ClientSession::drop_message() {
    in_message_ = false;
    results_ready_ = false;
    rcpts_.clear();
}

std::string_view ClientSession::command_name() const {
    switch (state_) {
    case State::ehlo: return "EHLO";
    case State::helo: return "HELO";
    case State::starttls: return "STARTTLS";
    case State::rset: return "RSET";
    case State::envelope:
        if (pending_.empty()) return "MAIL FROM";
        switch (pending_.front().what) {
        case Expect::mail: return "MAIL FROM";
        case Expect::rcpt: return "RCPT TO";
        case Expect::data: return "DATA";
        }
        return "MAIL FROM";
    case State::data:
    case State::data_end: return "end of DATA";
    case State::quit: return "QUIT";
    case State::greeting:
    case State::tls:
    case State::ready:
    case State::closed: break;
    }
    return "";
}

// Postfix's words for where a session broke ("lost connection with X while ...").
std::string_view ClientSession::doing() const {
    switch (state_) {
    case State::greeting: return "receiving the initial server greeting";
    case State::ehlo: return "performing the EHLO handshake";
    case State::helo: return "performing the HELO handshake";
    case State::starttls: return "sending STARTTLS";
    case State::tls: return "performing the TLS handshake";
    case State::ready: return "waiting for the next message";
    case State::rset: return "sending RSET";
    case State::envelope:
        if (!pending_.empty() && pending_.front().what == Expect::rcpt) return "sending RCPT TO";
        if (!pending_.empty() && pending_.front().what == Expect::data) return "sending DATA command";
        return "sending MAIL FROM";
    case State::data: return "sending message body";
    case State::data_end: return "sending end of data -- message may be sent more than once";
    case State::quit: return "sending QUIT";
    case State::closed: break;
    }
    return "closing the connection";
}

void ClientSession::finish(Recipient& r, Outcome outcome, std::string text, std::string status, std::string_view command) {
    r.finished = true;
    r.result.outcome = outcome;
    r.result.text = std::move(text);
    r.result.status = std::move(status);
    r.result.command = command;
}

void ClientSession::finish_reply(Recipient& r, const Reply& reply, Outcome outcome, std::string_view command) {
    finish(r, outcome, reply_line(reply), status_for(reply, outcome), command);
}

void ClientSession::finish_rest(Outcome outcome, const std::string& text, std::string_view status, std::string_view command) {
    for (Recipient& r : rcpts_) {
        if (!r.finished) finish(r, outcome, text, std::string(status), command);
    }
}

void ClientSession::finish_rest(const Reply& reply, Outcome outcome, std::string_view command) {
    for (Recipient& r : rcpts_) {
        if (!r.finished) finish_reply(r, reply, outcome, command);
    }
}

std::size_t ClientSession::accepted() const {
    return static_cast<std::size_t>(
        std::count_if(rcpts_.begin(), rcpts_.end(), [](const Recipient& r) { return r.accepted && !r.finished; }));
}

std::optional<std::vector<ClientSession::Result>> ClientSession::take_results() {
    if (!results_ready_) return std::nullopt;
    results_ready_ = false;
    std::vector<Result> out;
    out.reserve(rcpts_.size());
    for (Recipient& r : rcpts_) out.push_back(std::move(r.result));
    rcpts_.clear();
    return out;
}

}  // namespace mxlab::smtp
