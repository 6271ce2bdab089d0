// The outbound SMTP client session (RFC 5321, with RFC 1870, 2920, 3207, 6152, 6531): replies in, commands and actions out; pure.
//
// One session is one connection to one MX host address. The transport
// (client.hpp) owns the socket and a ReplyReader; it does what each Action
// says (write, wait for a reply, do the TLS handshake, stream the message,
// close) and reports back: the next reply, the handshake's outcome, the end
// of the data, or a failure (connection closed, timeout, malformed reply).
// Between messages the session says `idle`, and the caller hands it the next
// message or asks it to quit. Nothing here touches a socket, a clock or the
// store, so whole dialogs run in unit tests.
//
// The session decides per recipient: delivered, deferred (4xx, or the
// connection failed before the outcome was known) or failed (5xx, or a local
// check: bad address, size over the server's SIZE, SMTPUTF8 not offered).
// When the host itself fails (greeting, EHLO and HELO, RSET, any 421, a lost
// connection) it reports a HostFailure; whether to try the next MX host is
// the queue runner's business, not ours.
//
// Reads no configuration: the EHLO name and whether STARTTLS may be tried
// come from the caller (appliance.hostname; a client TLS context exists).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/smtp/reply.hpp"

namespace mxlab::smtp {

// How long to wait for each reply (RFC 5321 section 4.5.3.2); the same limit
// applies to writing the command the reply answers.
namespace client_timeout {
using std::chrono::seconds;
inline constexpr seconds greeting{300};    // 4.5.3.2.1 initial 220 message: 5 minutes
inline constexpr seconds mail{300};        // 4.5.3.2.2 MAIL: 5 minutes (a pipelined batch waits this for MAIL's reply)
inline constexpr seconds rcpt{300};        // 4.5.3.2.3 RCPT: 5 minutes
inline constexpr seconds data_init{120};   // 4.5.3.2.4 DATA initiation: 2 minutes
inline constexpr seconds data_block{180};  // 4.5.3.2.5 each write of the message data: 3 minutes
inline constexpr seconds data_done{600};   // 4.5.3.2.6 DATA termination: 10 minutes
// RFC 5321 names none for these; Postfix's smtp_helo_timeout and
// smtp_starttls_timeout are 300 s. RSET gets the same 5 minutes as MAIL (a
// busy server, not a dead one). QUIT gets 60 s: nothing depends on the 221,
// and the connection should not be held for it.
inline constexpr seconds helo{300};
inline constexpr seconds starttls{300};  // the STARTTLS reply, and then the handshake
inline constexpr seconds rset{300};
inline constexpr seconds quit{60};
}  // namespace client_timeout

// What the server's EHLO reply offered (RFC 5321 section 4.1.1.1, RFC 1869).
struct Extensions {
    bool esmtp = false;           // EHLO was accepted (HELO: nothing else is true)
    bool pipelining = false;      // RFC 2920
    bool size = false;            // RFC 1870: SIZE= may be given
    std::uint64_t size_limit = 0;  // "SIZE n"; 0: no limit announced
    bool starttls = false;        // RFC 3207
    bool eight_bit_mime = false;  // RFC 6152
    bool smtputf8 = false;        // RFC 6531
    bool enhanced_status_codes = false;  // RFC 2034
};

// The keywords of an EHLO reply, one per line after the first, case-insensitive; others are ignored.
Extensions parse_ehlo(const Reply& reply);

// One message to send over the session.
struct ClientMessage {
    std::string sender;                   // "" for MAIL FROM:<> (bounces)
    std::vector<std::string> recipients;
    std::uint64_t size = 0;               // octets as stored (CRLF lines, not stuffed): SIZE= (RFC 1870 section 4)
    bool eight_bit = false;               // the content has octets >= 0x80: BODY=8BITMIME when offered
    bool smtputf8 = false;                // the headers need SMTPUTF8 (non-ASCII in the envelope is detected here too)
};

class ClientSession {
public:
    enum class Outcome { delivered, deferred, failed };

    // One recipient's outcome, as the queue runner records it.
    struct Result {
        std::string address;
        Outcome outcome = Outcome::deferred;
        // The server's reply on one line ("550 5.1.1 <x@bigsky.com>: Recipient
        // address rejected"), or our own text ("lost connection with
        // mail.bigsky.com[127.0.2.10] while sending RCPT TO").
        std::string text;
        // The RFC 3463 status for a DSN: the reply's enhanced code when its
        // class agrees with the outcome, else "2.0.0", "4.0.0" or "5.0.0";
        // our own for local errors ("5.3.4", "4.4.2").
        std::string status;
        // The command the reply answered ("MAIL FROM", "RCPT TO", "DATA",
        // "end of DATA"); empty when `text` is ours, not the server's.
        std::string command;
    };

    // The host failed: the runner tries the next MX host for the messages
    // the session did not take on.
    struct HostFailure {
        // "host mail.bigsky.com[127.0.2.10] refused to talk to me: 554 5.7.1 no",
        // "host ... said: 421 4.3.2 shutting down (in reply to RCPT TO command)",
        // "lost connection with ... while performing the EHLO handshake".
        std::string text;
        Reply reply;             // the server's reply; code 0 when there was none
        bool permanent = false;  // a 5xx reply (for the log only: host failures are retried elsewhere)
    };

    enum class Failure {
        closed,    // the connection was closed or reset
        timeout,   // an Action's timeout passed
        protocol,  // the ReplyReader failed (detail: its error())
        local,     // our side cannot go on (detail: why), e.g. the message cannot be read mid-DATA
    };

    struct Action {
        enum class Kind {
            read,       // write `output` (if any), then wait for the next reply and call on_reply()
            start_tls,  // do the TLS handshake now, then call tls_done()
            send_data,  // stream the message through a DotStuffer, then its finish(); then call data_sent()
            idle,       // the last message is done (take_results()): call send() or quit()
            close,      // close the connection; the session is over (take_results(), host_failure())
        };
        Kind kind = Kind::close;
        std::string output;               // read: command lines to write first
        std::chrono::seconds timeout{0};  // read: for the write and the reply; start_tls: the handshake; send_data: each write
    };

    enum class State {
        greeting,  // connected: waiting for the 220
        ehlo,      // EHLO sent
        helo,      // HELO sent, EHLO having been refused
        starttls,  // STARTTLS sent
        tls,       // the caller is doing the TLS handshake
        ready,     // between messages
        rset,      // RSET sent before the next message's MAIL
        envelope,  // MAIL, RCPT, DATA sent (one at a time, or in one pipelined batch); replies due
        data,      // the caller is streaming the message
        data_end,  // the end of data sent: the final reply is due
        quit,      // QUIT sent
        closed,
    };

    // `peer` names the host in texts: "mail.bigsky.com[127.0.2.10]".
    ClientSession(std::string helo_name, std::string peer, bool try_starttls);

    Action start();  // connected: wait for the greeting
    Action on_reply(const Reply& reply);
    Action tls_done(bool ok, std::string_view error = {});
    Action data_sent();  // the terminator has been written
    Action send(ClientMessage message);  // in `idle` only
    Action quit();                       // in `idle`; elsewhere it aborts the session
    Action failed(Failure what, std::string_view detail = {});

    // The outcome of the message given to the last send(), once every
    // recipient has one (at `idle` or `close`), and only once. nullopt also
    // when the host failed before the message's first command was written:
    // the message was not tried here.
    std::optional<std::vector<Result>> take_results();
    const std::optional<HostFailure>& host_failure() const { return host_failure_; }

    State state() const { return state_; }
    bool done() const { return state_ == State::closed; }
    bool tls_active() const { return tls_; }
    const Extensions& extensions() const { return ext_; }

private:
    enum class Expect : unsigned char { mail, rcpt, data };
    struct Pending {
        Expect what;
        std::size_t index;  // rcpt: which recipient
    };
    struct Recipient {
        Result result;
        bool accepted = false;  // RCPT got 2xx; the outcome waits for the data
        bool finished = false;
    };

    Action on_envelope_reply(const Reply& reply);
    Action on_data_end_reply(const Reply& reply);
    Action begin_transaction();
    Action next_command();  // without PIPELINING: the next RCPT or DATA, or the end
    Action message_done();
    Action host_refused(const Reply& reply);
    Action end(std::string text, std::string_view status);
    Action misuse(std::string_view what);

    std::string mail_command() const;
    std::string_view command_name() const;  // what the reply due answers
    std::string_view doing() const;         // "sending RCPT TO": what the session was doing, for failure texts
    void finish(Recipient& r, Outcome outcome, std::string text, std::string status, std::string_view command);
    void finish_reply(Recipient& r, const Reply& reply, Outcome outcome, std::string_view command);
    void finish_rest(Outcome outcome, const std::string& text, std::string_view status, std::string_view command = {});
    void finish_rest(const Reply& reply, Outcome outcome, std::string_view command);
    void drop_message();  // the host failed before the message's first command: not tried here
    std::size_t accepted() const;

    static Action read(std::string output, std::chrono::seconds timeout);
    static Action act(Action::Kind kind, std::chrono::seconds timeout = {});

    std::string helo_name_;
    std::string peer_;
    bool try_starttls_;
    bool tls_ = false;
    State state_ = State::greeting;
    Extensions ext_;
    std::optional<HostFailure> host_failure_;

    // The message in hand.
    ClientMessage message_;
    std::vector<Recipient> rcpts_;
    bool in_message_ = false;     // given to send(), not all recipients finished
    bool smtputf8_ = false;       // the message needs SMTPUTF8 (and the server offered it)
    bool results_ready_ = false;  // finished, not yet taken
    bool rset_needed_ = false;    // a transaction may be open: RSET before the next MAIL
    bool pipelined_ = false;      // this transaction went out as one batch
    bool mail_ok_ = false;        // MAIL got 2xx
    bool empty_data_ = false;     // DATA got 354 with no recipient accepted: "." alone went out
    std::size_t next_rcpt_ = 0;   // without PIPELINING: the next recipient to send RCPT for
    std::deque<Pending> pending_;  // replies due, in order (at most recipients + 2)
};

}  // namespace mxlab::smtp
