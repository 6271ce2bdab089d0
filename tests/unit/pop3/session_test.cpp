// Tests for pop3::Session: golden dialogs (tests/unit/pop3/dialogs/*.txt) through an in-test driver, and top_lines().
//
// Dialog format (as tests/unit/smtp/dialogs): "# ..." comments, each file
// citing the RFC sections it checks; "@key value" settings first:
//   @no-tls                no TLS context (STLS not offered)
//   @tls-active            implicit TLS (995)
//   @require-tls-for-auth  [tls] require_for_auth = true
//   @auth OUTCOME          the next login's scripted outcome (ok, bad, throttled,
//                          locked (287 s left), unavailable, in-use), in order; after them the
//                          directory checks the password (Bob/bob123, Jack/jack123)
//   @message UIDL TEXT     a maildrop message (TEXT unescaped: \r \n \t \\); replaces the default three
//   @gone N                message N cannot be opened at RETR/TOP
//   @fail-update           the store fails to apply the deletions
//   @gone-update           INBOX was renamed or deleted since the login (store Errc::gone)
//   @byte-at-a-time        every client write is fed one byte per receive()
// then the dialog: "C: line" is sent with CRLF, "C~ text" as written after
// unescaping; consecutive C lines go out in one write (pipelining). "S: line"
// is a line the server sends (replies and streamed messages alike);
// "-- auth LOGIN PASSWORD" a password check, "-- tls" a TLS handshake,
// "-- update N..." deletions applied, "-- closed" the end of the connection.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "config/config.hpp"
#include "mail/auth/directory.hpp"
#include "mail/pop3/session.hpp"
#include "mail/codec/dot_stuffer.hpp"
#include "tests/unit/dialog_script.hpp"
#include "tests/unit/lab_config.hpp"

namespace mxlab::pop3 {
namespace {

namespace fs = std::filesystem;

using mxlab::test::unescape;

struct Options {
    bool tls_offered = true;
    bool tls_active = false;
    bool require_tls_for_auth = false;
    bool byte_at_a_time = false;
    Session::UpdateOutcome update = Session::UpdateOutcome::done;
    std::deque<std::string> auth;  // scripted outcomes
    std::vector<std::pair<std::string, std::string>> messages;  // (uidl, text)
    std::set<std::size_t> gone;    // message numbers
    Limits limits;
};

// Three messages: one with a line starting with '.', one with a longer body, one whose body is a lone ".".
const std::vector<std::pair<std::string, std::string>> default_messages = {
    {"AAA-1", "Subject: one\r\n\r\nHello\r\n.hidden dot\r\n"},
    {"AAA-2", "Subject: two\r\nFrom: a@sina.com\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"},
    {"AAA-3", "Subject: three\r\n\r\n.\r\n"},
};

// A session plus everything the server would do around it, synchronously.
class Driver {
public:
    explicit Driver(Options o) : o_(std::move(o)) {
        std::string errors;
        cfg_ = mxlab::test::load_lab({.require_tls_for_auth = o_.require_tls_for_auth}, errors);
        if (!cfg_) ADD_FAILURE() << errors;
        dir_ = std::make_shared<const auth::Directory>(*cfg_);
        if (o_.messages.empty()) o_.messages = default_messages;
        SessionSettings s;
        s.config = cfg_;
        s.tls_offered = o_.tls_offered;
        s.tls_active = o_.tls_active;
        s.limits = o_.limits;
        session_ = std::make_unique<Session>(std::move(s));
        pump();
    }

    void send(std::string_view bytes) {
        if (!o_.byte_at_a_time) {
            session_->receive(bytes);
            pump();
            return;
        }
        for (char c : bytes) {
            session_->receive(std::string_view(&c, 1));
            pump();
        }
    }

    // Runs the session until it wants more input, answering its actions.
    void pump() {
        std::string out;
        for (;;) {
            auto a = session_->next();
            out += session_->output();
            session_->output().clear();
            switch (a) {
            case Session::Action::read:
                record(out);
                return;
            case Session::Action::write:
                ++writes_;
                break;
            case Session::Action::close:
                closed_ = true;
                record(out);
                transcript_.push_back("-- closed");
                return;
            case Session::Action::start_tls:
                record(out);
                out.clear();
                transcript_.push_back("-- tls");
                session_->tls_started();
                break;
            case Session::Action::authenticate:
                record(out);
                out.clear();
                authenticate();
                break;
            case Session::Action::retrieve:
                retrieve(out);
                break;
            case Session::Action::update: {
                record(out);
                out.clear();
                std::string d = "-- update";
                for (auto i : session_->deleted()) d += " " + std::to_string(i + 1);
                transcript_.push_back(d);
                session_->updated(o_.update);
                break;
            }
            }
        }
    }

    std::vector<std::string>& transcript() { return transcript_; }
    Session& session() { return *session_; }
    bool closed() const { return closed_; }
    int writes() const { return writes_; }

private:
    void authenticate() {
        const auto& c = session_->credentials();
        transcript_.push_back("-- auth " + c.authcid + " " + c.password);
        std::vector<Message> maildrop;
        for (const auto& [uidl, text] : o_.messages) maildrop.push_back(Message{text.size(), uidl});
        using O = Session::AuthOutcome;
        if (!o_.auth.empty()) {
            std::string s = o_.auth.front();
            o_.auth.pop_front();
            if (s == "locked") {  // the throttle's lock-out, with 287 s left
                session_->auth_throttled(std::chrono::seconds(287));
                return;
            }
            O outcome = s == "ok" ? O::ok : s == "throttled" ? O::throttled : s == "unavailable" ? O::unavailable
                      : s == "in-use" ? O::in_use : O::bad_credentials;
            session_->auth_result(outcome, c.authcid, outcome == O::ok ? maildrop : std::vector<Message>{});
            return;
        }
        auto user = dir_->authenticate(c.authcid, c.password);
        if (user) session_->auth_result(O::ok, *user, std::move(maildrop));
        else session_->auth_result(O::bad_credentials);
    }

    // What the server does: the status line, the message (cut for TOP), dot-stuffed, and ".".
    void retrieve(std::string& out) {
        const auto r = session_->retrieval();
        if (o_.gone.count(r.index + 1)) {
            session_->retrieve_started(false);
            return;
        }
        session_->retrieve_started(true);
        out += session_->output();
        session_->output().clear();
        std::string_view text = o_.messages.at(r.index).second;
        if (r.top_lines) text = text.substr(0, top_lines(text, *r.top_lines));
        smtp::DotStuffer stuffer;
        stuffer.feed(text, out);
        out += stuffer.finish();
        session_->retrieved();
    }

    void record(const std::string& out) { mxlab::test::record_output(out, transcript_); }

    Options o_;
    std::shared_ptr<const config::Config> cfg_;
    std::shared_ptr<const auth::Directory> dir_;
    std::unique_ptr<Session> session_;
    std::vector<std::string> transcript_;
    bool closed_ = false;
    int writes_ = 0;
};


class Dialog : public ::testing::TestWithParam<fs::path> {};

TEST_P(Dialog, MatchesGolden) {
    const auto lines = mxlab::test::read_lines(GetParam());
    ASSERT_FALSE(lines.empty()) << GetParam();
    Options opt;
    for (const auto& l : lines) {
        if (l.empty() || l[0] != '@') continue;
        std::istringstream ss(l.substr(1));
        std::string key, value;
        ss >> key >> value;
        if (key == "no-tls") opt.tls_offered = false;
        else if (key == "tls-active") opt.tls_active = true;
        else if (key == "require-tls-for-auth") opt.require_tls_for_auth = true;
        else if (key == "byte-at-a-time") opt.byte_at_a_time = true;
        else if (key == "fail-update") opt.update = Session::UpdateOutcome::failed;
        else if (key == "gone-update") opt.update = Session::UpdateOutcome::mailbox_gone;
        else if (key == "auth") opt.auth.push_back(value);
        else if (key == "gone") opt.gone.insert(std::stoul(value));
        else if (key == "message") {
            std::string rest;
            std::getline(ss >> std::ws, rest);
            opt.messages.emplace_back(value, unescape(rest));
        } else FAIL() << "unknown setting " << l;
    }
    Driver d(opt);
    const auto expected = mxlab::test::play(lines, d.transcript(), [&](const std::string& bytes) { d.send(bytes); });
    const auto& actual = d.transcript();
    EXPECT_EQ(expected, actual) << GetParam().filename() << ":\n" << mxlab::test::transcript_diff(expected, actual);
}

INSTANTIATE_TEST_SUITE_P(Pop3, Dialog, ::testing::ValuesIn(mxlab::test::dialog_files("tests/unit/pop3/dialogs")),
                         [](const auto& info) { return mxlab::test::dialog_name(info.param); });

// RFC 1939 section 7 TOP: headers, the blank line, then n body lines.
TEST(Pop3TopLines, HeaderBlankAndBodyLines) {
    const std::string_view m = "A: 1\r\nB: 2\r\n\r\nx\r\ny\r\nz\r\n";
    EXPECT_EQ(m.substr(0, top_lines(m, 0)), "A: 1\r\nB: 2\r\n\r\n");
    EXPECT_EQ(m.substr(0, top_lines(m, 1)), "A: 1\r\nB: 2\r\n\r\nx\r\n");
    EXPECT_EQ(m.substr(0, top_lines(m, 2)), "A: 1\r\nB: 2\r\n\r\nx\r\ny\r\n");
    EXPECT_EQ(top_lines(m, 3), m.size());
    EXPECT_EQ(top_lines(m, 1000), m.size());
    EXPECT_EQ(top_lines(m, UINT64_MAX), m.size());
}

TEST(Pop3TopLines, EdgeCases) {
    EXPECT_EQ(top_lines("", 5), 0u);
    EXPECT_EQ(top_lines("A: 1\r\nB: 2\r\n", 0), 12u);        // no body at all: everything
    EXPECT_EQ(top_lines("A: 1\r\nB: 2", 0), 10u);            // and no final CRLF
    EXPECT_EQ(top_lines("\r\nbody\r\n", 0), 2u);             // no header fields
    EXPECT_EQ(top_lines("A: 1\r\n\r\nlast", 0), 8u);
    EXPECT_EQ(top_lines("A: 1\r\n\r\nlast", 1), 12u);        // a last line without CRLF counts
    EXPECT_EQ(top_lines("A: 1\n\nx\ny\n", 1), 8u);          // bare LF line ends too
}

Options logged_in_options() {
    Options o;
    o.messages.clear();
    for (int i = 1; i <= 1000; ++i) o.messages.emplace_back("U" + std::to_string(i), "S: x\r\n\r\nb\r\n");
    return o;
}

// RFC 2449 section 6.6 PIPELINING: many commands in one write; big reply batches go out (Action::write) between them.
TEST(Pop3Session, PipelinedRepliesAreSentInBatches) {
    Options o = logged_in_options();
    o.limits.max_output = 4096;
    Driver d(o);
    std::string burst = "USER bob\r\nPASS bob123\r\n";
    for (int i = 0; i < 20; ++i) burst += "LIST\r\n";
    burst += "QUIT\r\n";
    d.send(burst);
    EXPECT_TRUE(d.closed());
    EXPECT_GE(d.writes(), 20);
    const auto& t = d.transcript();
    EXPECT_EQ(std::count(t.begin(), t.end(), "S: +OK 1000 messages (11000 octets)"), 20);
    EXPECT_EQ(t.back(), "-- closed");
}

// RFC 1939 section 6: the server gets the messages marked deleted, 0-based, ascending.
TEST(Pop3Session, DeletedIndexes) {
    Driver d(logged_in_options());
    d.send("USER bob\r\nPASS bob123\r\nDELE 7\r\nDELE 2\r\nDELE 1000\r\n");
    EXPECT_EQ(d.session().state(), State::transaction);
    EXPECT_EQ(d.session().user(), "bob@sina.com");
    EXPECT_EQ(d.session().deleted(), (std::vector<std::size_t>{1, 6, 999}));
    d.send("RSET\r\n");
    EXPECT_TRUE(d.session().deleted().empty());
}

// RFC 2449 section 4 allows 255 octets; we take up to Limits::max_line (4096) and hang up past it.
TEST(Pop3Session, LineLimit) {
    Driver ok_line(Options{});
    ok_line.send("USER " + std::string(4089, 'a') + "\r\n");  // 4096 with CRLF
    EXPECT_EQ(ok_line.transcript().back(), "S: +OK");
    Driver too_long(Options{});
    too_long.send("USER " + std::string(4090, 'a') + "\r\n");
    EXPECT_TRUE(too_long.closed());
    Driver no_lf(Options{});
    no_lf.send(std::string(4096, 'a'));
    EXPECT_TRUE(no_lf.closed());
}

// Issue 14, item 9: ten refused commands in a row end the session, as chasquid; one that succeeds starts the count again.
TEST(Pop3Session, TenErrorsInARowHangUp) {
    Driver d(Options{});
    std::string flood;
    for (int i = 0; i < 9; ++i) flood += "BOGUS\r\n";
    d.send(flood + "CAPA\r\n" + flood);
    EXPECT_FALSE(d.closed());
    d.send("BOGUS\r\n");
    EXPECT_TRUE(d.closed());
    const auto& t = d.transcript();
    EXPECT_EQ(std::count(t.begin(), t.end(), "S: -ERR Unknown command."), 19);
    EXPECT_EQ(t[t.size() - 2], "S: -ERR Too many bad commands.");
}

// The 20 in all still hold when good commands come between.
TEST(Pop3Session, TwentyErrorsInAllHangUp) {
    Driver d(Options{});
    for (int i = 0; i < 19; ++i) d.send("BOGUS\r\nCAPA\r\n");
    EXPECT_FALSE(d.closed());
    d.send("BOGUS\r\n");
    EXPECT_TRUE(d.closed());
}

}  // namespace
}  // namespace mxlab::pop3
