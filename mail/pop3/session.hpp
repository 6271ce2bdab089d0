// The POP3 server session (RFC 1939, with RFC 2449 CAPA/PIPELINING/RESP-CODES, RFC 2595 STLS, RFC 3206, RFC 5034 AUTH): bytes in, replies and actions out; pure.
//
// The server owns the socket, the store and the password check. It feeds the
// bytes it reads to receive(), calls next() and handles the Action it returns
// (send the output, read more, switch to TLS, check a password and open the
// maildrop, stream a message, apply the deletions, hang up), then reports
// the outcome back. Nothing here blocks or touches a socket or the store, so
// dialogs run in unit tests byte for byte.
//
// States (RFC 1939 section 3): AUTHORIZATION until a login succeeds,
// TRANSACTION with the maildrop the server opened, UPDATE after QUIT while
// the server removes the messages marked deleted. A dropped connection never
// reaches UPDATE: the server then deletes nothing.
//
// Replies follow Dovecot's wording where clients may look at it (the
// RFC 2449 section 8 / RFC 3206 response codes in brackets). RETR answers
// "+OK <size> octets" (the size from the maildrop, as LIST), TOP a bare "+OK".
//
// Reads: appliance.hostname (greeting), tls.require_for_auth.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "mail/auth/sasl.hpp"
#include "mail/pop3/command.hpp"
#include "mail/pop3/top.hpp"  // the server cuts TOP's output with it

namespace mxlab::pop3 {

struct Limits {
    std::size_t max_errors = 20;  // then "-ERR Too many bad commands." and hang up, as Dovecot (CLIENT_MAX_BAD_COMMANDS)
    std::size_t max_errors_in_a_row = 10;  // the same sooner, as chasquid: nothing the client sends is POP3
    // The longest line, CRLF included. RFC 2449 section 4 says 255; Dovecot
    // takes 4 KiB (AUTH initial responses, long passwords). Longer: "-ERR
    // Input line too long." and hang up, as Dovecot.
    std::size_t max_line = 4096;
    // Pipelined replies past this many bytes are sent (Action::write) before
    // more buffered commands run: "LIST" x 10000 must not build gigabytes.
    std::size_t max_output = 64 * 1024;
};

// Everything a session needs to know, fixed for its lifetime (a reload
// applies to new connections).
struct SessionSettings {
    std::shared_ptr<const config::Config> config;
    bool tls_offered = false;  // a TLS context exists: STLS is offered (not once TLS is active)
    bool tls_active = false;   // implicit TLS (995)
    Limits limits;
};

// One message of the maildrop, as the server lists the user's INBOX at login.
// The session numbers them 1..n in this order; the server keeps its own
// parallel list (store UIDs) to map an index back.
struct Message {
    std::uint64_t size = 0;  // octets, CRLF line ends, before dot-stuffing (RFC 1939 section 11)
    std::string uidl;        // RFC 1939 section 7: 1..70 chars in 0x21..0x7E, stable across sessions
};

enum class State { authorization, transaction, update };

class Session {
public:
    enum class Action {
        read,          // send output(), then read more and call receive()
        write,         // send output() (and clear it), then call next() again without reading
        start_tls,     // send output(), do the TLS handshake, then call tls_started() (on failure, close)
        authenticate,  // check credentials() (with the throttle), open the maildrop, then call auth_result()
        retrieve,      // open message retrieval(), call retrieve_started(); if available, send output(),
                       // the message (cut by TopCut for TOP) dot-stuffed and ".\r\n", then call retrieved()
        update,        // remove deleted() durably, release the maildrop, then call updated()
        close,         // send output() and close the connection (release the maildrop; delete nothing)
    };

    // Queues the greeting "+OK <hostname> ready.".
    explicit Session(SessionSettings settings);

    void receive(std::string_view bytes);
    Action next();
    std::string& output() { return out_; }

    // Action::authenticate: from USER/PASS or AUTH PLAIN/LOGIN.
    const auth::Credentials& credentials() const { return credentials_; }
    enum class AuthOutcome {
        ok,               // `user` is the canonical address, `maildrop` its INBOX
        bad_credentials,  // -ERR [AUTH] (RFC 3206 section 4)
        throttled,        // too many failures from this address: -ERR [SYS/TEMP]
        unavailable,      // the store failed: -ERR [SYS/TEMP]
        in_use,           // another POP3 session holds the maildrop: -ERR [IN-USE] (RFC 2449 section 8.1.2)
    };
    void auth_result(AuthOutcome outcome, std::string_view user = {}, std::vector<Message> maildrop = {});
    // Instead of auth_result: the throttle refused the attempt; the reply says how long to wait.
    void auth_throttled(std::chrono::seconds retry_after);

    // Action::retrieve
    struct Retrieval {
        std::size_t index = 0;                   // 0-based into the maildrop (message number - 1)
        std::optional<std::uint64_t> top_lines;  // TOP: the body lines wanted; nullopt for RETR
    };
    const Retrieval& retrieval() const { return retrieval_; }
    // `available` false (expunged meanwhile, store error): the session queues
    // "-ERR" and goes on; the server then calls next(), not retrieved().
    void retrieve_started(bool available);
    void retrieved();

    // Action::update: the 0-based indexes marked deleted, ascending.
    std::vector<std::size_t> deleted() const;
    enum class UpdateOutcome {
        done,          // every deleted message is gone
        failed,        // the store failed: some may not be
        mailbox_gone,  // INBOX was renamed or deleted since the login: nothing was deleted (store Errc::gone)
    };
    void updated(UpdateOutcome outcome);  // then next() says close

    // Action::start_tls: the handshake succeeded.
    void tls_started();

    State state() const { return state_; }
    bool tls_active() const { return tls_; }
    const std::string& user() const { return user_; }  // empty until a login succeeds
    const std::vector<Message>& maildrop() const { return maildrop_; }

private:
    Action handle_line(std::string_view line);
    Action on_capa();
    Action on_user(const Command& c);
    Action on_pass(const Command& c);
    Action on_auth(const Command& c);
    Action auth_step(const auth::SaslExchange::Step& step);
    Action on_stls();
    Action on_stat();
    Action on_list(const Command& c, bool uidl);
    Action on_retr(const Command& c);
    Action on_dele(const Command& c);
    Action on_rset();
    Action on_quit();

    bool plaintext_allowed() const;
    std::optional<std::size_t> message(std::uint64_t number, Action& refusal);
    std::pair<std::size_t, std::uint64_t> totals() const;  // undeleted messages and their octets
    void ok(std::string_view text = {});
    void err(std::string_view text);                      // not the client's fault: not counted
    Action error(std::string_view text);                  // counts toward max_errors
    Action wait(Action a);

    SessionSettings settings_;
    bool tls_;
    State state_ = State::authorization;
    bool waiting_ = false;  // an Action is out; no input is processed until its result
    bool closing_ = false;  // next() says close
    std::string in_;
    std::size_t in_pos_ = 0;
    std::string out_;
    std::size_t errors_ = 0;
    std::size_t errors_in_a_row_ = 0;  // since the last command that got +OK

    std::string pending_user_;  // from USER, for PASS
    std::optional<auth::SaslExchange> sasl_;
    auth::Credentials credentials_;
    std::string user_;
    std::vector<Message> maildrop_;
    std::vector<bool> deleted_;
    Retrieval retrieval_;
};

}  // namespace mxlab::pop3
