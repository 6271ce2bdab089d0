// Tests for mail/smtp/client_session: scripted dialogs (server replies in, command bytes out), per-recipient outcomes, and random dialogs that must always end cleanly.
#include "mail/smtp/client_session.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "mail/codec/dot_stuffer.hpp"
#include "mail/smtp/reply_reader.hpp"

namespace mxlab::smtp {
namespace {

using namespace std::literals;
using Kind = ClientSession::Action::Kind;
using Outcome = ClientSession::Outcome;
using Failure = ClientSession::Failure;
namespace timeout = client_timeout;

constexpr std::string_view peer = "mail.bigsky.com[127.0.2.10]";

std::string_view kind_name(Kind k) {
    switch (k) {
    case Kind::read: return "read";
    case Kind::start_tls: return "start_tls";
    case Kind::send_data: return "send_data";
    case Kind::idle: return "idle";
    case Kind::close: return "close";
    }
    return "?";
}

// One side of the dialog: the session, a ReplyReader as the transport has,
// and the last Action.
struct Dialog {
    explicit Dialog(bool try_starttls = true, std::size_t step = 0)
        : session("mail.sina.com", std::string(peer), try_starttls), step(step) {
        action = session.start();
    }

    // The server sends `wire` (one or more replies); each complete reply
    // goes to the session, as the transport does. `step` > 0 feeds the
    // reader that many octets at a time.
    ClientSession::Action& server(std::string_view wire) {
        const std::size_t n = step == 0 ? wire.size() : step;
        for (std::size_t i = 0; i < wire.size(); i += n) {
            reader.feed(wire.substr(i, n));
            while (auto r = reader.next()) action = session.on_reply(*r);
        }
        EXPECT_FALSE(reader.failed()) << reader.error();
        EXPECT_FALSE(reader.pending()) << "a reply was left incomplete";
        return action;
    }

    // Greeting and a plain EHLO offering `keywords` ("PIPELINING\nSIZE 1000").
    void connect(std::string_view keywords = "") {
        server("220 mail.bigsky.com ESMTP\r\n");
        std::string ehlo = "250";
        std::string_view rest = keywords;
        ehlo += rest.empty() ? " " : "-";
        ehlo += "mail.bigsky.com\r\n";
        while (!rest.empty()) {
            const std::size_t nl = rest.find('\n');
            const std::string_view kw = rest.substr(0, nl);
            rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
            ehlo += rest.empty() ? "250 " : "250-";
            ehlo += kw;
            ehlo += "\r\n";
        }
        server(ehlo);
    }

    ClientSession session;
    ReplyReader reader;
    ClientSession::Action action;
    std::size_t step = 0;
};

::testing::AssertionResult is(const ClientSession::Action& a, Kind kind, std::string_view output = {},
                              std::chrono::seconds t = std::chrono::seconds{-1}) {
    if (a.kind != kind) return ::testing::AssertionFailure() << "action " << kind_name(a.kind) << ", expected " << kind_name(kind);
    if (a.output != output) {
        return ::testing::AssertionFailure() << "wrote " << ::testing::PrintToString(a.output) << ", expected "
                                             << ::testing::PrintToString(std::string(output));
    }
    if (t.count() >= 0 && a.timeout != t) {
        return ::testing::AssertionFailure() << "timeout " << a.timeout.count() << " s, expected " << t.count() << " s";
    }
    return ::testing::AssertionSuccess();
}

ClientMessage message(std::vector<std::string> recipients, std::uint64_t size = 1234, std::string sender = "jack@sina.com") {
    ClientMessage m;
    m.sender = std::move(sender);
    m.recipients = std::move(recipients);
    m.size = size;
    return m;
}

// Results as "address outcome status [command] text" lines, for compact checks.
std::vector<std::string> summary(const std::optional<std::vector<ClientSession::Result>>& results) {
    std::vector<std::string> out;
    if (!results) return {"(none)"};
    for (const auto& r : *results) {
        const std::string_view o = r.outcome == Outcome::delivered ? "delivered" : r.outcome == Outcome::deferred ? "deferred" : "failed";
        out.push_back(r.address + " " + std::string(o) + " " + r.status + " [" + r.command + "] " + r.text);
    }
    return out;
}

// Runs a message through DATA 354 → data → final reply, checking the stages' timeouts.
void deliver_data(Dialog& d, std::string_view final_reply) {
    ASSERT_TRUE(is(d.action, Kind::send_data, "", timeout::data_block));  // RFC 5321 section 4.5.3.2.5: 3 minutes per block
    ASSERT_TRUE(is(d.session.data_sent(), Kind::read, "", timeout::data_done));  // section 4.5.3.2.6: 10 minutes
    d.action = d.session.on_reply([&] {
        ReplyReader r;
        r.feed(final_reply);
        return *r.next();
    }());
}

// RFC 5321 section 3.1-3.3, 4.5.3.2: a whole delivery without extensions but SIZE, one command at a time.
TEST(ClientSession, PlainEhloDialog) {
    Dialog d;
    EXPECT_TRUE(is(d.action, Kind::read, "", timeout::greeting));  // section 4.5.3.2.1: 5 minutes for the 220
    EXPECT_TRUE(is(d.server("220 mail.bigsky.com ESMTP Postfix\r\n"), Kind::read, "EHLO mail.sina.com\r\n", timeout::helo));
    EXPECT_TRUE(is(d.server("250-mail.bigsky.com\r\n250-SIZE 10240000\r\n250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n"), Kind::idle));
    EXPECT_TRUE(d.session.extensions().esmtp);
    EXPECT_EQ(d.session.extensions().size_limit, 10240000u);
    EXPECT_FALSE(d.session.extensions().pipelining);

    // Section 4.1.1.2 and RFC 1870 section 6: SIZE= with the message's size.
    EXPECT_TRUE(is(d.session.send(message({"wfisk@bigsky.com", "x@bigsky.com"})), Kind::read,
                   "MAIL FROM:<jack@sina.com> SIZE=1234\r\n", timeout::mail));  // section 4.5.3.2.2
    EXPECT_TRUE(is(d.server("250 2.1.0 Ok\r\n"), Kind::read, "RCPT TO:<wfisk@bigsky.com>\r\n", timeout::rcpt));  // 4.5.3.2.3
    EXPECT_TRUE(is(d.server("250 2.1.5 Ok\r\n"), Kind::read, "RCPT TO:<x@bigsky.com>\r\n", timeout::rcpt));
    // Section 3.3: a 4xx to RCPT defers that recipient only.
    EXPECT_TRUE(is(d.server("450 4.2.0 <x@bigsky.com>: Recipient address rejected: Greylisted\r\n"), Kind::read,
                   "DATA\r\n", timeout::data_init));  // 4.5.3.2.4: 2 minutes
    EXPECT_TRUE(is(d.server("354 End data with <CR><LF>.<CR><LF>\r\n"), Kind::send_data));
    deliver_data(d, "250 2.0.0 Ok: queued as 4C1B2\r\n");
    EXPECT_TRUE(is(d.action, Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "wfisk@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 Ok: queued as 4C1B2",
                  "x@bigsky.com deferred 4.2.0 [RCPT TO] 450 4.2.0 <x@bigsky.com>: Recipient address rejected: Greylisted",
              }));
    EXPECT_FALSE(d.session.take_results()) << "results come once";

    // Section 4.1.1.10: QUIT, 221, close.
    EXPECT_TRUE(is(d.session.quit(), Kind::read, "QUIT\r\n", timeout::quit));
    EXPECT_TRUE(is(d.server("221 2.0.0 Bye\r\n"), Kind::close));
    EXPECT_TRUE(d.session.done());
    EXPECT_FALSE(d.session.host_failure());
}

// RFC 5321 section 3.2: a 5xx to EHLO means an old server: HELO, and then no extensions.
TEST(ClientSession, HeloFallback) {
    Dialog d;
    d.server("220 old.bigsky.com SMTP\r\n");
    EXPECT_TRUE(is(d.server("502 5.5.2 Error: command not recognized\r\n"), Kind::read, "HELO mail.sina.com\r\n", timeout::helo));
    EXPECT_TRUE(is(d.server("250 old.bigsky.com\r\n"), Kind::idle));
    EXPECT_FALSE(d.session.extensions().esmtp);
    // No SIZE=, no BODY= (RFC 6152 section 3 aside, the 8-bit body goes anyway, as Postfix sends it).
    ClientMessage m = message({"wfisk@bigsky.com"});
    m.eight_bit = true;
    EXPECT_TRUE(is(d.session.send(m), Kind::read, "MAIL FROM:<jack@sina.com>\r\n"));
}

// RFC 5321 section 3.2, 4.2.5: EHLO and then HELO refused: the host fails, and the session QUITs.
TEST(ClientSession, EhloAndHeloRefused) {
    Dialog d;
    d.server("220 x\r\n");
    d.server("500 5.5.1 no EHLO\r\n");
    EXPECT_TRUE(is(d.server("550 5.7.1 not you\r\n"), Kind::read, "QUIT\r\n", timeout::quit));
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_EQ(d.session.host_failure()->text,
              "host mail.bigsky.com[127.0.2.10] said: 550 5.7.1 not you (in reply to HELO command)");
    EXPECT_TRUE(d.session.host_failure()->permanent);
    EXPECT_EQ(d.session.host_failure()->reply.code, 550);
    // Section 4.1.1.10: the 221 is not needed; a closed connection at QUIT is no failure.
    EXPECT_TRUE(is(d.session.failed(Failure::closed), Kind::close));
    EXPECT_EQ(d.session.host_failure()->reply.code, 550) << "the first failure stays";
}

// A 4xx to EHLO is the server's temporary trouble (RFC 5321 section 4.2.1): no HELO, the host fails.
TEST(ClientSession, EhloTemporaryFailure) {
    Dialog d;
    d.server("220 x\r\n");
    EXPECT_TRUE(is(d.server("451 4.3.0 try later\r\n"), Kind::read, "QUIT\r\n"));
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_FALSE(d.session.host_failure()->permanent);
}

// RFC 3207 section 4 and 4.2: STARTTLS when offered, the handshake, then EHLO
// again with everything learned before forgotten.
TEST(ClientSession, StartTlsThenEhloAgain) {
    Dialog d;
    d.connect("PIPELINING\nSIZE 1000\nSTARTTLS");
    EXPECT_TRUE(is(d.action, Kind::read, "STARTTLS\r\n", timeout::starttls));
    EXPECT_TRUE(is(d.server("220 2.0.0 Ready to start TLS\r\n"), Kind::start_tls, "", timeout::starttls));
    EXPECT_FALSE(d.reader.pending());
    EXPECT_TRUE(is(d.session.tls_done(true), Kind::read, "EHLO mail.sina.com\r\n", timeout::helo));
    EXPECT_TRUE(d.session.tls_active());
    EXPECT_FALSE(d.session.extensions().pipelining) << "forgotten until the new EHLO says so";
    // The new EHLO may offer STARTTLS again; it is not tried twice.
    EXPECT_TRUE(is(d.server("250-mail.bigsky.com\r\n250-SIZE 2000\r\n250 STARTTLS\r\n"), Kind::idle));
    EXPECT_FALSE(d.session.extensions().pipelining);
    EXPECT_EQ(d.session.extensions().size_limit, 2000u);
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"}, 1500)), Kind::read, "MAIL FROM:<jack@sina.com> SIZE=1500\r\n"));
}

// Opportunistic TLS (RFC 3207 section 4.1): a refused STARTTLS leaves the
// plaintext session as it was, extensions included.
TEST(ClientSession, StartTlsRefused) {
    Dialog d;
    d.connect("PIPELINING\nSTARTTLS");
    EXPECT_TRUE(is(d.server("454 4.7.0 TLS not available due to local problem\r\n"), Kind::idle));
    EXPECT_FALSE(d.session.tls_active());
    EXPECT_TRUE(d.session.extensions().pipelining);
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"})), Kind::read, "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<a@bigsky.com>\r\nDATA\r\n"));
}

// Not allowed to try TLS (no client context): STARTTLS is not sent even when offered.
TEST(ClientSession, StartTlsNotTried) {
    Dialog d(false);
    d.connect("STARTTLS");
    EXPECT_TRUE(is(d.action, Kind::idle));
}

// RFC 3207 section 4.1: a failed handshake fails the host; the stream is
// unusable, so no QUIT.
TEST(ClientSession, TlsHandshakeFails) {
    Dialog d;
    d.connect("STARTTLS");
    d.server("220 go ahead\r\n");
    EXPECT_TRUE(is(d.session.tls_done(false, "certificate verify failed"), Kind::close));
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_EQ(d.session.host_failure()->text, "TLS handshake with mail.bigsky.com[127.0.2.10] failed: certificate verify failed");
    EXPECT_EQ(d.session.host_failure()->reply.code, 0);
    EXPECT_FALSE(d.session.take_results()) << "no message was under way";
}

// RFC 2920 section 3.1: MAIL, every RCPT and DATA in one batch; replies
// matched in order; one recipient refused, the others delivered.
TEST(ClientSession, PipelinedBatchOneRecipientRejected) {
    Dialog d;
    d.connect("PIPELINING\nENHANCEDSTATUSCODES");
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com", "x@bigsky.com", "b@bigsky.com"})), Kind::read,
                   "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<a@bigsky.com>\r\nRCPT TO:<x@bigsky.com>\r\nRCPT TO:<b@bigsky.com>\r\nDATA\r\n",
                   timeout::mail));
    EXPECT_TRUE(is(d.server("250 2.1.0 Ok\r\n"), Kind::read, "", timeout::rcpt));
    EXPECT_TRUE(is(d.server("250 2.1.5 Ok\r\n"), Kind::read, "", timeout::rcpt));
    EXPECT_TRUE(is(d.server("550 5.1.1 <x@bigsky.com>: Recipient address rejected: User unknown\r\n"), Kind::read, "", timeout::rcpt));
    EXPECT_TRUE(is(d.server("250 2.1.5 Ok\r\n"), Kind::read, "", timeout::data_init));
    EXPECT_TRUE(is(d.server("354 go\r\n"), Kind::send_data));
    deliver_data(d, "250 2.0.0 Ok: queued as A1\r\n");
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 Ok: queued as A1",
                  "x@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 <x@bigsky.com>: Recipient address rejected: User unknown",
                  "b@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 Ok: queued as A1",
              }));
}

// RFC 2920 section 3.2: the server may answer the whole batch in one write.
TEST(ClientSession, PipelinedRepliesInOneRead) {
    Dialog d;
    d.connect("PIPELINING");
    d.session.send(message({"a@bigsky.com", "x@bigsky.com"}));
    EXPECT_TRUE(is(d.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n450 4.1.1 try later\r\n354 go\r\n"), Kind::send_data));
    deliver_data(d, "451 4.3.0 queue file write error\r\n");
    // RFC 5321 section 4.2.5: a 4xx after the data defers the accepted recipients.
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com deferred 4.3.0 [end of DATA] 451 4.3.0 queue file write error",
                  "x@bigsky.com deferred 4.1.1 [RCPT TO] 450 4.1.1 try later",
              }));
}

// RFC 2920 section 3.1: no recipient accepted but DATA got 354 anyway: send
// an empty message ("." alone) and let its reply change nothing.
TEST(ClientSession, PipelinedNoRecipientButDataAccepted) {
    Dialog d;
    d.connect("PIPELINING");
    d.session.send(message({"x@bigsky.com"}));
    EXPECT_TRUE(is(d.server("250 Ok\r\n550 no such user\r\n354 go\r\n"), Kind::read, ".\r\n", timeout::data_done));
    EXPECT_TRUE(is(d.server("554 5.5.1 Error: no valid recipients\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()), (std::vector<std::string>{"x@bigsky.com failed 5.0.0 [RCPT TO] 550 no such user"}));
    // The end of data closed the transaction (RFC 5321 section 4.1.1.4): no RSET.
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"})), Kind::read, "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<a@bigsky.com>\r\nDATA\r\n"));
}

// RFC 2920 section 3.1: no recipient accepted and DATA refused (503/554): go
// on; the transaction is still open, so RSET before the next one.
TEST(ClientSession, PipelinedNoRecipientDataRefused) {
    Dialog d;
    d.connect("PIPELINING");
    d.session.send(message({"x@bigsky.com"}));
    EXPECT_TRUE(is(d.server("250 Ok\r\n550 5.1.1 no\r\n554 5.5.1 Error: no valid recipients\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()), (std::vector<std::string>{"x@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 no"}));
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"})), Kind::read, "RSET\r\n", timeout::rset));
    EXPECT_TRUE(is(d.server("250 2.0.0 Ok\r\n"), Kind::read, "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<a@bigsky.com>\r\nDATA\r\n"));
}

// RFC 2920 section 3.1: a refused MAIL refuses the message; the RCPT and DATA replies that follow mean nothing.
TEST(ClientSession, PipelinedMailRejected) {
    Dialog d;
    d.connect("PIPELINING");
    d.session.send(message({"a@bigsky.com", "b@bigsky.com"}));
    EXPECT_TRUE(is(d.server("553 5.7.1 <jack@sina.com>: Sender address rejected\r\n503 5.5.1 need MAIL\r\n250 ok??\r\n503 5.5.1 need RCPT\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com failed 5.7.1 [MAIL FROM] 553 5.7.1 <jack@sina.com>: Sender address rejected",
                  "b@bigsky.com failed 5.7.1 [MAIL FROM] 553 5.7.1 <jack@sina.com>: Sender address rejected",
              }));
}

// RFC 5321 section 4.1.1.2, 4.1.1.5: a refused MAIL fails the message; the next one begins with RSET.
TEST(ClientSession, MailRejectedThenRset) {
    Dialog d;
    d.connect("SIZE");
    d.session.send(message({"a@bigsky.com"}));
    EXPECT_TRUE(is(d.server("451 4.3.0 temporary sender trouble\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{"a@bigsky.com deferred 4.3.0 [MAIL FROM] 451 4.3.0 temporary sender trouble"}));
    EXPECT_TRUE(is(d.session.send(message({"b@bigsky.com"}, 10, "")), Kind::read, "RSET\r\n", timeout::rset));
    // RFC 5321 section 4.5.5: the null reverse-path "<>".
    EXPECT_TRUE(is(d.server("250 2.0.0 Ok\r\n"), Kind::read, "MAIL FROM:<> SIZE=10\r\n"));
    d.server("250 Ok\r\n");
    EXPECT_TRUE(is(d.server("250 Ok\r\n"), Kind::read, "DATA\r\n"));
}

// RFC 5321 section 4.1.1.5: a refused RSET is a session-level failure; the
// message waiting for it was not tried on this host.
TEST(ClientSession, RsetRefused) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    d.server("550 no\r\n");
    d.session.take_results();
    d.session.send(message({"b@bigsky.com"}));
    EXPECT_TRUE(is(d.server("452 4.3.1 out of memory\r\n"), Kind::read, "QUIT\r\n"));
    EXPECT_FALSE(d.session.take_results());
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_EQ(d.session.host_failure()->text,
              "host mail.bigsky.com[127.0.2.10] said: 452 4.3.1 out of memory (in reply to RSET command)");
}

// RFC 1870 section 6.2: a message over the server's SIZE is not sent; every recipient fails, naming the remote limit.
TEST(ClientSession, SizeOverRemoteLimit) {
    Dialog d;
    d.connect("SIZE 1000");
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com", "b@bigsky.com"}, 5000)), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com failed 5.3.4 [] message size 5000 exceeds size limit 1000 of server mail.bigsky.com[127.0.2.10]",
                  "b@bigsky.com failed 5.3.4 [] message size 5000 exceeds size limit 1000 of server mail.bigsky.com[127.0.2.10]",
              }));
    // Exactly the limit is fine; no MAIL was sent, so no RSET either.
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"}, 1000)), Kind::read, "MAIL FROM:<jack@sina.com> SIZE=1000\r\n"));
}

// RFC 1870 section 4: "SIZE" alone or "SIZE 0" announces no limit, but SIZE= is still given.
TEST(ClientSession, SizeWithoutLimit) {
    for (std::string_view kw : {"SIZE"sv, "SIZE 0"sv, "size 99999999999999999999999"sv}) {
        Dialog d;
        d.connect(kw);
        EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"}, 5000)), Kind::read, "MAIL FROM:<jack@sina.com> SIZE=5000\r\n")) << kw;
    }
}

// RFC 6152 section 3: BODY=8BITMIME for an 8-bit body when offered.
TEST(ClientSession, EightBitMime) {
    Dialog d;
    d.connect("8BITMIME\nSIZE");
    ClientMessage m = message({"a@bigsky.com"}, 77);
    m.eight_bit = true;
    EXPECT_TRUE(is(d.session.send(m), Kind::read, "MAIL FROM:<jack@sina.com> SIZE=77 BODY=8BITMIME\r\n"));

    // Not offered: sent anyway, without the parameter (Postfix's behaviour).
    Dialog e;
    e.connect("SIZE");
    EXPECT_TRUE(is(e.session.send(m), Kind::read, "MAIL FROM:<jack@sina.com> SIZE=77\r\n"));
}

// RFC 6531 section 3.4: SMTPUTF8 needed but not offered: every recipient fails (5.6.7), no MAIL.
TEST(ClientSession, SmtpUtf8NeededNotOffered) {
    Dialog d;
    d.connect("8BITMIME");
    ClientMessage m = message({"a@bigsky.com"});
    m.smtputf8 = true;  // the headers need it
    EXPECT_TRUE(is(d.session.send(m), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{"a@bigsky.com failed 5.6.7 [] SMTPUTF8 is required, but was not offered by host mail.bigsky.com[127.0.2.10]"}));
    // Non-ASCII in the envelope is found without the caller's word.
    EXPECT_TRUE(is(d.session.send(message({"jos\xc3\xa9@bigsky.com"})), Kind::idle));
    EXPECT_EQ(d.session.take_results()->at(0).status, "5.6.7");
}

// RFC 6531 section 3.4: offered and needed: the SMTPUTF8 parameter on MAIL.
TEST(ClientSession, SmtpUtf8Offered) {
    Dialog d;
    d.connect("SMTPUTF8\n8BITMIME");
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com"}, 5, "j\xc3\xa4" "ck@sina.com")), Kind::read,
                   "MAIL FROM:<j\xc3\xa4" "ck@sina.com> SMTPUTF8\r\n"));
    Dialog e;
    e.connect("SMTPUTF8");
    EXPECT_TRUE(is(e.session.send(message({"a@bigsky.com"})), Kind::read, "MAIL FROM:<jack@sina.com>\r\n")) << "not needed, not given";
}

// RFC 5321 section 4.2.5 and 4.3.2: the reply after the data decides: 2xx delivered, 4xx deferred, 5xx failed.
TEST(ClientSession, DataFinalReply) {
    struct Case {
        std::string_view reply;
        std::string expected;
    };
    for (const Case& c : {Case{"250 2.0.0 Ok: queued as X\r\n", "a@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 Ok: queued as X"},
                          Case{"451 4.3.0 Error: queue file write error\r\n", "a@bigsky.com deferred 4.3.0 [end of DATA] 451 4.3.0 Error: queue file write error"},
                          Case{"554 5.7.1 spam\r\n", "a@bigsky.com failed 5.7.1 [end of DATA] 554 5.7.1 spam"},
                          Case{"554 Transaction failed\r\n", "a@bigsky.com failed 5.0.0 [end of DATA] 554 Transaction failed"},
                          Case{"250-multi\r\n250 line\r\n", "a@bigsky.com delivered 2.0.0 [end of DATA] 250 multi line"}}) {
        SCOPED_TRACE(std::string(c.reply));
        Dialog d;
        d.connect();
        d.session.send(message({"a@bigsky.com"}));
        d.server("250 ok\r\n");
        d.server("250 ok\r\n");
        d.server("354 go\r\n");
        deliver_data(d, c.reply);
        EXPECT_TRUE(is(d.action, Kind::idle));
        EXPECT_EQ(summary(d.session.take_results()), std::vector<std::string>{c.expected});
        // The end of data ended the transaction (RFC 5321 section 4.1.1.4): the next MAIL needs no RSET.
        EXPECT_TRUE(is(d.session.send(message({"b@bigsky.com"})), Kind::read, "MAIL FROM:<jack@sina.com>\r\n"));
    }
}

// RFC 5321 section 4.1.1.4: DATA refused (not 354): the accepted recipients take that reply.
TEST(ClientSession, DataRefused) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com", "b@bigsky.com"}));
    d.server("250 ok\r\n");
    d.server("250 ok\r\n");
    d.server("550 5.1.1 unknown\r\n");
    EXPECT_TRUE(is(d.server("451 4.3.0 not now\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com deferred 4.3.0 [DATA] 451 4.3.0 not now",
                  "b@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 unknown",
              }));
    EXPECT_TRUE(is(d.session.send(message({"c@bigsky.com"})), Kind::read, "RSET\r\n"));
}

// RFC 5321 section 3.3: without PIPELINING, no DATA when no recipient was accepted.
TEST(ClientSession, NoRecipientAcceptedNoData) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    d.server("250 ok\r\n");
    EXPECT_TRUE(is(d.server("550 5.1.1 unknown\r\n"), Kind::idle));
    EXPECT_EQ(summary(d.session.take_results()), std::vector<std::string>{"a@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 unknown"});
}

// RFC 5321 section 3.3: several transactions on one connection, the second without RSET.
TEST(ClientSession, TwoMessagesOneConnection) {
    Dialog d;
    d.connect("PIPELINING\nSIZE 100000");
    d.session.send(message({"a@bigsky.com"}, 10));
    d.server("250 ok\r\n250 ok\r\n354 go\r\n");
    deliver_data(d, "250 2.0.0 first\r\n");
    EXPECT_EQ(summary(d.session.take_results()), std::vector<std::string>{"a@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 first"});
    EXPECT_TRUE(is(d.session.send(message({"b@bigsky.com"}, 20, "bob@sina.com")), Kind::read,
                   "MAIL FROM:<bob@sina.com> SIZE=20\r\nRCPT TO:<b@bigsky.com>\r\nDATA\r\n"));
    d.server("250 ok\r\n250 ok\r\n354 go\r\n");
    deliver_data(d, "250 2.0.0 second\r\n");
    EXPECT_EQ(summary(d.session.take_results()), std::vector<std::string>{"b@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 second"});
    EXPECT_TRUE(is(d.session.quit(), Kind::read, "QUIT\r\n"));
    EXPECT_TRUE(is(d.session.failed(Failure::closed), Kind::close)) << "no 221: fine";
    EXPECT_FALSE(d.session.host_failure());
}

// A lost connection mid-RCPT: every recipient without an outcome is deferred
// with Postfix's words; the host failure says the same.
TEST(ClientSession, ConnectionLostMidRcpt) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com", "b@bigsky.com", "c@bigsky.com"}));
    d.server("250 ok\r\n");
    d.server("250 ok\r\n");  // a accepted
    d.server("550 5.1.1 no\r\n");  // b refused
    EXPECT_TRUE(is(d.session.failed(Failure::closed), Kind::close));
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com deferred 4.4.2 [] lost connection with mail.bigsky.com[127.0.2.10] while sending RCPT TO",
                  "b@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 no",
                  "c@bigsky.com deferred 4.4.2 [] lost connection with mail.bigsky.com[127.0.2.10] while sending RCPT TO",
              }));
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_EQ(d.session.host_failure()->text, "lost connection with mail.bigsky.com[127.0.2.10] while sending RCPT TO");
    EXPECT_TRUE(d.session.done());
    EXPECT_TRUE(is(d.session.send(message({"x@y"})), Kind::close)) << "nothing more once closed";
}

// Timeouts and malformed replies end the session the same way (RFC 5321 section 4.5.3.2: the client gives up).
TEST(ClientSession, TimeoutAndProtocolError) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    d.server("250 ok\r\n250 ok\r\n354 go\r\n");
    d.session.data_sent();
    EXPECT_TRUE(is(d.session.failed(Failure::timeout), Kind::close));
    EXPECT_EQ(d.session.take_results()->at(0).text,
              "conversation with mail.bigsky.com[127.0.2.10] timed out while sending end of data -- message may be sent more than once");

    Dialog e;
    e.action = e.session.failed(Failure::protocol, "malformed reply line \"HTTP/1.1 400\"");
    EXPECT_TRUE(is(e.action, Kind::close));
    EXPECT_EQ(e.session.host_failure()->text,
              "protocol error with mail.bigsky.com[127.0.2.10] while receiving the initial server greeting: malformed reply line \"HTTP/1.1 400\"");

    // The message cannot be read mid-DATA: close without the terminator, so nothing half-sent is delivered.
    Dialog f;
    f.connect();
    f.session.send(message({"a@bigsky.com"}));
    f.server("250 ok\r\n250 ok\r\n354 go\r\n");
    EXPECT_TRUE(is(f.session.failed(Failure::local, "cannot read the message"), Kind::close));
    EXPECT_EQ(summary(f.session.take_results()),
              std::vector<std::string>{"a@bigsky.com deferred 4.3.0 [] local data error while talking to mail.bigsky.com[127.0.2.10]: cannot read the message"});
}

// RFC 5321 section 3.1: a 554 greeting: the host fails, QUIT, and no message is tried.
TEST(ClientSession, Greeting554) {
    Dialog d;
    EXPECT_TRUE(is(d.server("554 5.7.1 mail.bigsky.com does not want your mail\r\n"), Kind::read, "QUIT\r\n", timeout::quit));
    ASSERT_TRUE(d.session.host_failure());
    EXPECT_EQ(d.session.host_failure()->text,
              "host mail.bigsky.com[127.0.2.10] refused to talk to me: 554 5.7.1 mail.bigsky.com does not want your mail");
    EXPECT_TRUE(d.session.host_failure()->permanent);
    EXPECT_TRUE(is(d.server("221 bye\r\n"), Kind::close));
}

// RFC 5321 section 3.8: 421 closes the channel whatever the command: no QUIT;
// the recipients without an outcome are deferred with that reply.
TEST(ClientSession, Reply421) {
    Dialog d;
    EXPECT_TRUE(is(d.server("421 4.3.2 busy\r\n"), Kind::close));
    EXPECT_FALSE(d.session.host_failure()->permanent);

    Dialog e;
    e.connect("PIPELINING");
    e.session.send(message({"a@bigsky.com", "b@bigsky.com", "c@bigsky.com"}));
    EXPECT_TRUE(is(e.server("250 ok\r\n250 ok\r\n421 4.4.5 too many connections\r\n"), Kind::close));
    EXPECT_EQ(summary(e.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com deferred 4.4.5 [RCPT TO] 421 4.4.5 too many connections",
                  "b@bigsky.com deferred 4.4.5 [RCPT TO] 421 4.4.5 too many connections",
                  "c@bigsky.com deferred 4.4.5 [RCPT TO] 421 4.4.5 too many connections",
              }));
    EXPECT_EQ(e.session.host_failure()->text,
              "host mail.bigsky.com[127.0.2.10] said: 421 4.4.5 too many connections (in reply to RCPT TO command)");
}

// Replies split anywhere, down to one octet per read, make the same dialog (RFC 5321 section 4.2: replies are lines, not segments).
TEST(ClientSession, ByteByByteReplies) {
    Dialog d(true, 1);
    d.connect("PIPELINING\nSIZE 100\nENHANCEDSTATUSCODES");
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com", "x@bigsky.com"}, 50)), Kind::read,
                   "MAIL FROM:<jack@sina.com> SIZE=50\r\nRCPT TO:<a@bigsky.com>\r\nRCPT TO:<x@bigsky.com>\r\nDATA\r\n"));
    EXPECT_TRUE(is(d.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550-5.1.1 no\r\n550 5.1.1 such user\r\n354 go\r\n"), Kind::send_data));
    deliver_data(d, "250 2.0.0 Ok\r\n");
    EXPECT_EQ(summary(d.session.take_results()),
              (std::vector<std::string>{
                  "a@bigsky.com delivered 2.0.0 [end of DATA] 250 2.0.0 Ok",
                  "x@bigsky.com failed 5.1.1 [RCPT TO] 550 5.1.1 no such user",
              }));
}

// RFC 5321 section 4.1.2: an address never carries CR or LF into a command;
// such a recipient fails locally (5.1.3), the others go on.
TEST(ClientSession, BadAddresses) {
    Dialog d;
    d.connect("PIPELINING");
    EXPECT_TRUE(is(d.session.send(message({"a@bigsky.com\r\nRCPT TO:<evil@x>", "", std::string(1000, 'x'), "b@bigsky.com"})), Kind::read,
                   "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<b@bigsky.com>\r\nDATA\r\n"));
    d.server("250 ok\r\n250 ok\r\n354 go\r\n");
    deliver_data(d, "250 ok\r\n");
    const auto results = d.session.take_results();
    ASSERT_TRUE(results);
    ASSERT_EQ(results->size(), 4u);
    EXPECT_EQ((*results)[0].text, "bad recipient address syntax: control character in address");
    EXPECT_EQ((*results)[0].status, "5.1.3");
    EXPECT_EQ((*results)[1].outcome, Outcome::failed);
    EXPECT_EQ((*results)[2].outcome, Outcome::failed);
    EXPECT_EQ((*results)[3].outcome, Outcome::delivered);

    // 999 octets still go.
    const std::string long_ok = std::string(990, 'x') + "@bigsky.c";
    ASSERT_EQ(long_ok.size(), 999u);
    EXPECT_TRUE(is(d.session.send(message({long_ok})), Kind::read, "MAIL FROM:<jack@sina.com>\r\nRCPT TO:<" + long_ok + ">\r\nDATA\r\n"));

    // A bad sender fails every recipient (5.1.7) and sends nothing.
    Dialog e;
    e.connect();
    EXPECT_TRUE(is(e.session.send(message({"a@bigsky.com", "b@bigsky.com"}, 1, "jack@sina.com\n")), Kind::idle));
    const auto r = e.session.take_results();
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[1].status, "5.1.7");
    EXPECT_EQ((*r)[1].outcome, Outcome::failed);
}

// RFC 5321 section 4.5.3.1.5 allows 512 octets a reply line, the reader up to
// 200 lines of 4096: each recipient keeps at most 2048 octets of it.
TEST(ClientSession, LongReplyTextCapped) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    d.server("250 ok\r\n");
    std::string big;
    for (int i = 0; i < 199; ++i) big += "550-5.1.1 " + std::string(100, 'x') + "\r\n";
    EXPECT_TRUE(is(d.server(big + "550 5.1.1 end\r\n"), Kind::idle));
    const auto r = d.session.take_results();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->at(0).text.size(), 2048u + 3);
    EXPECT_EQ(r->at(0).text.substr(0, 14), "550 5.1.1 xxxx");
    EXPECT_EQ(r->at(0).status, "5.1.1");
}

// The caller streams the data through a DotStuffer (RFC 5321 section 4.5.2); the session only waits for the reply after it.
TEST(ClientSession, DataWithDotStuffer) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    d.server("250 ok\r\n");
    d.server("250 ok\r\n");
    EXPECT_TRUE(is(d.server("354 go\r\n"), Kind::send_data));
    DotStuffer stuffer;
    std::string wire;
    stuffer.feed("Subject: x\r\n\r\n.\r\n", wire);
    wire += stuffer.finish();
    EXPECT_EQ(wire, "Subject: x\r\n\r\n..\r\n.\r\n");
    EXPECT_TRUE(is(d.session.data_sent(), Kind::read, "", timeout::data_done));
}

// RFC 5321 section 4.1.1.1, RFC 1869 section 4.3: keywords are case-insensitive; unknown ones are ignored.
TEST(ClientSession, ParseEhlo) {
    const Extensions e = parse_ehlo(Reply{250, "", "mail.bigsky.com PIPELINING\npipelining\nSize 5000\nstarttls\n8bitmime\nSmtpUtf8\n"
                                                   "EnhancedStatusCodes\nAUTH PLAIN LOGIN\nX-FOO"});
    EXPECT_TRUE(e.esmtp && e.pipelining && e.size && e.starttls && e.eight_bit_mime && e.smtputf8 && e.enhanced_status_codes);
    EXPECT_EQ(e.size_limit, 5000u);
    const Extensions first_line_only = parse_ehlo(Reply{250, "", "PIPELINING"});
    EXPECT_FALSE(first_line_only.pipelining) << "the first line is the server's name";
    EXPECT_EQ(parse_ehlo(Reply{250, "", "x\nSIZE 12ab"}).size_limit, 0u);
}

// Calls out of turn do not crash: the session ends, and the message under way is deferred.
TEST(ClientSession, CallsOutOfTurn) {
    Dialog d;
    d.connect();
    d.session.send(message({"a@bigsky.com"}));
    EXPECT_TRUE(is(d.session.send(message({"b@bigsky.com"})), Kind::close));
    const auto r = d.session.take_results();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].outcome, Outcome::deferred);
    EXPECT_TRUE(is(d.session.data_sent(), Kind::close));
    EXPECT_TRUE(is(d.session.tls_done(true), Kind::close));
    EXPECT_TRUE(is(d.session.on_reply(Reply{250, "", "ok"}), Kind::close));

    // quit() mid-transaction aborts: no QUIT in the middle of an envelope.
    Dialog e;
    e.connect();
    e.session.send(message({"a@bigsky.com"}));
    EXPECT_TRUE(is(e.session.quit(), Kind::close));
    EXPECT_EQ(e.session.take_results()->at(0).text, "delivery to mail.bigsky.com[127.0.2.10] aborted while sending MAIL FROM");

    // A reply nobody waits for is a protocol error.
    Dialog f;
    f.connect();
    EXPECT_TRUE(is(f.session.on_reply(Reply{250, "", "surprise"}), Kind::close));
    EXPECT_NE(f.session.host_failure()->text.find("unexpected reply \"250 surprise\""), std::string::npos);
}

// Random servers: whatever they answer, the session ends, every message it
// took on gets exactly one result per recipient, statuses agree with
// outcomes, and no command line carries a stray CR or LF.
TEST(ClientSession, RandomDialogsAlwaysFinish) {
    std::mt19937 rng(2920);
    const int codes[] = {220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 454, 500, 501, 502, 503, 550, 552, 553, 554};
    const char* keywords[] = {"PIPELINING", "SIZE 100", "SIZE", "STARTTLS", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"};
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    std::size_t seen[3] = {};  // outcomes over all rounds: the dialogs must reach each
    for (int round = 0; round < 3000; ++round) {
        ClientSession s("mail.sina.com", std::string(peer), rng() % 2 == 0);
        auto a = s.start();
        std::size_t sent = 0, settled = 0;
        std::vector<std::size_t> sizes;  // recipients per message handed over
        bool closed = false;
        auto check_results = [&](const std::optional<std::vector<ClientSession::Result>>& r) {
            if (!r) return;
            ++settled;
            ASSERT_LE(settled, sent);
            ASSERT_EQ(r->size(), sizes[settled - 1]);
            for (const auto& x : *r) {
                ASSERT_FALSE(x.text.empty());
                ASSERT_EQ(x.status.size() >= 5, true) << x.status;
                const char cls = x.outcome == Outcome::delivered ? '2' : x.outcome == Outcome::deferred ? '4' : '5';
                ASSERT_EQ(x.status[0], cls) << x.text;
                ++seen[static_cast<int>(x.outcome)];
            }
        };
        for (int steps = 0; steps < 500 && !closed; ++steps) {
            // Every command line ends with CRLF and holds no other CR or LF.
            for (std::size_t i = 0; i < a.output.size(); ++i) {
                if (a.output[i] == '\r') {
                    ASSERT_TRUE(i + 1 < a.output.size() && a.output[i + 1] == '\n');
                }
                if (a.output[i] == '\n') {
                    ASSERT_TRUE(i > 0 && a.output[i - 1] == '\r');
                }
            }
            if (rng() % 40 == 0 && a.kind != Kind::close && a.kind != Kind::idle) {
                a = s.failed(static_cast<Failure>(pick(4)));
                continue;
            }
            switch (a.kind) {
            case Kind::read: {
                Reply r;
                // Mostly what a willing server says, so that dialogs get far.
                const std::size_t p = pick(10);
                r.code = p < 5 ? 250 : p < 7 ? 354 : codes[pick(std::size(codes))];
                if (rng() % 3 == 0) r.enhanced = std::to_string(r.code / 100) + ".1.1";
                r.text = "x";
                for (std::size_t k = pick(4); k > 0; --k) r.text += std::string("\n") + keywords[pick(std::size(keywords))];
                a = s.on_reply(r);
                break;
            }
            case Kind::start_tls: a = s.tls_done(rng() % 4 != 0, "handshake"); break;
            case Kind::send_data: a = s.data_sent(); break;
            case Kind::idle:
                check_results(s.take_results());
                if (sent < 3 && rng() % 5 != 0) {
                    ClientMessage m;
                    m.sender = rng() % 5 == 0 ? "" : "jack@sina.com";
                    for (std::size_t k = pick(5); k > 0; --k) {
                        const int v = static_cast<int>(pick(10));
                        m.recipients.push_back(v == 0 ? "bad\r\n@x" : v == 1 ? "j\xc3\xa4@x" : "r" + std::to_string(k) + "@bigsky.com");
                    }
                    m.size = pick(300);
                    m.eight_bit = rng() % 2 == 0;
                    m.smtputf8 = rng() % 8 == 0;
                    ++sent;
                    sizes.push_back(m.recipients.size());
                    a = s.send(std::move(m));
                } else {
                    a = s.quit();
                }
                break;
            case Kind::close:
                check_results(s.take_results());
                closed = true;
                break;
            }
        }
        ASSERT_TRUE(closed) << "round " << round << ": the session did not end";
        ASSERT_TRUE(s.done());
        // Every message handed over was settled, except one whose RSET failed (not tried on this host).
        ASSERT_TRUE(settled == sent || (settled + 1 == sent && s.host_failure())) << "round " << round;
    }
    EXPECT_GT(seen[0], 20u) << "delivered";
    EXPECT_GT(seen[1], 100u) << "deferred";
    EXPECT_GT(seen[2], 100u) << "failed";
}

}  // namespace
}  // namespace mxlab::smtp
