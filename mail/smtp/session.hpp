// The SMTP server session (RFC 5321, with RFC 1870, 2034, 2920, 3030, 3207, 4954, 6152, 6531): bytes in, replies and actions out; pure.
//
// The server (server.hpp) owns the socket and does what the session cannot do
// by itself: it feeds the bytes it reads to receive(), calls next() and
// handles the Action it returns (send the output, read more, switch to TLS,
// check a password, store a message, hang up), then reports the outcome back.
// Nothing here blocks, touches a socket, a clock or the store, so dialogs run
// in unit tests byte for byte.
//
// Reads: [smtp] relay, relay_networks, max_message_size; [tls] require_for_auth;
// appliance.hostname; the domains through auth::Directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/sasl.hpp"
#include "mail/smtp/command.hpp"
#include "mail/smtp/data_reader.hpp"
#include "mail/smtp/reply.hpp"

namespace mxlab::smtp {

// What a listener is for (DESIGN.md section 5).
enum class Port {
    mx,          // 25: anyone may send to local users; AUTH allowed for lab clients
    submission,  // 587: STARTTLS, AUTH required before MAIL
    smtps,       // 465: implicit TLS, AUTH required before MAIL
};

struct Limits {
    std::size_t max_recipients = 100;   // RFC 5321 section 4.5.3.1.8 (452 past it)
    std::size_t max_errors = 20;        // then 421 and hang up, as Postfix's smtpd_hard_error_limit
    std::size_t max_errors_in_a_row = 10;  // as chasquid: a client that gets nothing right is not a mail client
    std::size_t max_line = 4096;        // a longer command line gets 500 and is skipped
    // Once this much of a message is held (and our header lines are final),
    // hand it to the store (Action::store_part): a 50 MB message never sits
    // whole in memory.
    std::size_t store_part_at = 1 << 20;
    // The most of a message's header section read as headers (Postfix's
    // header_size_limit); past it the rest is body. Below store_part_at, so a
    // message is staged in parts whatever its header section looks like.
    std::size_t max_header_section = 100 * 1024;
};

// Everything a session needs to know, fixed for its lifetime (a reload
// applies to new connections).
struct SessionSettings {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const auth::Directory> directory;
    Port port = Port::mx;
    bool tls_offered = false;  // a TLS context exists: STARTTLS is advertised (not on 465)
    Limits limits;
    // Injected so that dialogs are reproducible in tests.
    std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
    std::function<std::string()> new_id;  // a message id for Received and the 250 reply
};

struct Client {
    config::IpAddr address;
    std::uint16_t port = 0;
};

// One accepted recipient, as the client wrote it and as it resolved.
struct Recipient {
    std::string address;              // "local@domain" as written, domain lower case
    std::vector<std::string> users;   // local users it reaches (canonical addresses)
    std::vector<std::string> remote;  // addresses to queue for delivery elsewhere
    bool relayed = false;             // a non-local recipient accepted by the relay policy
};

// The message to store once the data is complete, with our headers prepended.
struct Transaction {
    std::string id;
    Path sender;
    MailParams params;
    std::vector<Recipient> recipients;
    // Received (+ Message-ID, Date on submission) + the client's data: the
    // bytes not yet handed to the store. The first `stored` bytes went out
    // earlier by Action::store_part and come before these.
    std::string message;
    std::uint64_t stored = 0;
    std::vector<std::string> local_users;  // every recipient's users, each once
    std::vector<std::string> remote;       // every remote address, each once

    std::uint64_t size() const { return stored + message.size(); }
};

// A refused MAIL, RCPT, DATA, BDAT or AUTH, for the server's one
// "smtp.rejected" log line each (Postfix's "reject:" lines): a student sees in
// the log why mail was refused, not only in the client.
struct Refusal {
    enum class Stage { mail, rcpt, data, bdat, auth };
    Stage stage = Stage::mail;
    std::string reply;  // the reply line as sent, without its CRLF
    std::string from;   // "<a@b>", "<>" for the null sender; empty when not known (no MAIL, or not parsable)
    std::string to;     // RCPT: "<a@b>"; empty when not parsable
    std::string user;   // AUTH: the login given (never the password); empty before one was given
};

std::string_view stage_name(Refusal::Stage stage);

class Session {
public:
    enum class Action {
        read,           // send output(), then read more and call receive()
        start_tls,      // send output(), do the TLS handshake, then call tls_started()
        authenticate,   // check credentials(), then call auth_result()
        store_part,     // append transaction().message to the message being staged, then call part_stored()
        deliver,        // store transaction() durably, then call delivered()
        close,          // send output() and close the connection
    };

    Session(SessionSettings settings, Client client, bool tls_active);

    // The 220 greeting (or 421 when the server refuses the client) is queued
    // in output() by the constructor.
    void refuse(std::string_view why);  // queue "421 4.7.0 ..." instead; next() says close

    void receive(std::string_view bytes);
    Action next();
    std::string& output() { return out_; }

    // Action::authenticate
    const auth::Credentials& credentials() const { return credentials_; }
    // unavailable: the password could not be checked now (the check pool was full): 454, try later.
    enum class AuthOutcome { ok, bad_credentials, throttled, unavailable };
    // `user`: the canonical address when ok.
    void auth_result(AuthOutcome outcome, std::string_view user = {});
    // Instead of auth_result: the throttle refused the attempt; the reply says how long to wait.
    void auth_throttled(std::chrono::seconds retry_after);

    // Action::store_part: `ok` says whether the bytes were written. The
    // session clears them; after a failure the message is read to its end
    // and refused with 451.
    void part_stored(bool ok);

    // Action::deliver
    Transaction& transaction() { return txn_; }
    // `queue_id`: what the 250 reply names; empty `error` means stored durably.
    void delivered(std::string_view error);

    // Action::start_tls: the handshake succeeded (on failure, close the connection).
    void tls_started();

    // The commands refused since the server last cleared this: it logs and
    // clears them after each next(). A hostile client cannot make them
    // unbounded: a refusal that counts as an error is one of at most
    // limits.max_errors before the session hangs up, and the few that do not
    // count (452 too many recipients, 451 the store failed, 454 throttled
    // through auth_result) are noted once per transaction and at most
    // max_errors times per connection. So a connection logs at most
    // 2 x max_errors of them.
    std::vector<Refusal>& refusals() { return refusals_; }

    bool tls_active() const { return tls_; }
    const std::string& user() const { return user_; }  // empty until AUTH succeeds
    const std::string& helo() const { return helo_; }

private:
    enum class State {
        greeting,   // before EHLO/HELO
        ready,      // no transaction
        mail,       // after MAIL
        rcpt,       // after at least one RCPT
        data,       // reading DATA
        bdat,       // reading a BDAT chunk
        bdat_skip,  // discarding a BDAT chunk the session refused
        auth,       // inside an AUTH exchange
        waiting,    // an Action is out; no input is processed until its result
        closed,
    };

    Action handle_line(std::string_view line);
    Action data_input();
    Action bdat_input();
    Action finish_message();
    Action store_part_or(Action otherwise);
    bool finalize_headers(bool at_end);
    void begin_message();

    void on_ehlo(const Command& c, bool extended);
    Action on_mail(const Command& c);
    Action on_rcpt(const Command& c);
    Action on_data();
    Action reject_message(int code, std::string_view enhanced, std::string_view text);
    Action on_bdat(const Command& c);
    Action on_auth(const Command& c);
    Action on_starttls();
    Action auth_step(const auth::SaslExchange::Step& step);

    bool relay_allowed() const;
    bool auth_offered() const;
    void reply(int code, std::string_view enhanced, std::string_view text);
    void reply(const Reply& r);
    Action error(int code, std::string_view enhanced, std::string_view text);  // counts toward max_errors
    // A refusal that does not count toward max_errors; noted as refusals() says.
    void quiet_refusal(int code, std::string_view enhanced, std::string_view text);
    // What a refusal sent from now on refuses: `stage`, the transaction's sender, no recipient or login.
    void refusing(Refusal::Stage stage);
    void note_refusal(std::size_t reply_at);  // the reply queued at out_[reply_at..]
    void reset_transaction();
    std::string received_header() const;
    std::uint64_t client_bytes() const { return txn_.size() - header_end_ - added_; }

    SessionSettings settings_;
    Client client_;
    bool tls_;
    State state_ = State::greeting;
    bool extended_ = false;  // EHLO rather than HELO
    std::string helo_;
    std::string user_;
    std::string in_;
    std::size_t in_pos_ = 0;
    std::string out_;
    std::size_t errors_ = 0;
    std::size_t errors_in_a_row_ = 0;  // since the last command that was not refused
    bool close_after_output_ = false;
    bool skipping_line_ = false;  // the rest of a too-long command line is being dropped

    Transaction txn_;
    std::optional<DataReader> reader_;
    std::uint64_t bdat_left_ = 0;
    bool bdat_last_ = false;
    bool bdat_failed_ = false;  // a chunk went over the size limit: refuse at LAST
    bool bdat_started_ = false;  // the message is being sent with BDAT; DATA and RCPT are out of order
    State before_skip_ = State::ready;  // where a refused BDAT chunk returns to
    std::string pending_refusal_;
    std::size_t header_end_ = 0;  // where our Received line ends in txn_.message
    // The client's header section has ended and our added lines (Date,
    // Message-ID on submission) are in: only then may a part be stored.
    bool headers_final_ = false;
    std::size_t added_ = 0;                   // octets of those added lines
    int hops_ = 0;                            // Received fields in the client's header section
    std::size_t next_header_look_ = 0;        // message size at which to look for the header section's end again
    State after_part_ = State::data;          // where a stored part returns to
    bool part_failed_ = false;                // a part could not be stored: 451 at the end

    std::optional<auth::SaslExchange> sasl_;
    auth::Credentials credentials_;

    std::optional<Refusal> refusing_;  // set while a MAIL, RCPT, DATA, BDAT or AUTH is being answered
    std::vector<Refusal> refusals_;
    bool quiet_noted_ = false;         // a quiet refusal of this transaction was noted
    std::size_t quiet_refusals_ = 0;   // quiet refusals noted on this connection
};

}  // namespace mxlab::smtp
