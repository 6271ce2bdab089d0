// smtp::Session beyond the golden dialogs: the relay matrix, the stored message's headers, limits and failures.
#include <gtest/gtest.h>

#include <string>

#include "session_driver.hpp"

namespace mxlab::smtp::test {
namespace {

const char* const plain_bob = "AUTH PLAIN AGJvYgBib2IxMjM=\r\n";  // \0bob\0bob123

// DESIGN.md section 5: 4 relay modes x authenticated or not x trusted network
// or not x local or remote recipient. Local recipients are always accepted
// (receiving is not relaying, RFC 5321 section 3.6); a remote one only as the mode says.
struct RelayCase {
    std::string mode;
    bool authenticated;
    bool trusted;
    bool remote;
};

bool expect_accept(const RelayCase& c) {
    if (!c.remote) return true;
    if (c.mode == "open") return true;
    if (c.mode == "networks") return c.trusted || c.authenticated;
    if (c.mode == "authenticated") return c.authenticated;
    return false;  // none
}

class RelayMatrix : public ::testing::TestWithParam<RelayCase> {};

TEST_P(RelayMatrix, AcceptsExactlyWhatThePolicySays) {
    const auto& c = GetParam();
    Options o;
    o.relay = c.mode;
    o.client = c.trusted ? "10.1.2.3" : "192.0.2.7";  // relay_networks = ["10.0.0.0/8"]
    Driver d(o);
    d.send("EHLO c\r\n");
    if (c.authenticated) {
        ASSERT_EQ(d.send(plain_bob), "235 2.7.0 Authentication successful\r\n");
    }
    ASSERT_EQ(d.send(std::string("MAIL FROM:<") + (c.authenticated ? "bob@sina.com" : "x@example.net") + ">\r\n"),
              "250 2.1.0 Ok\r\n");
    std::string rcpt = c.remote ? "wfisk@bigsky.com" : "jack@sina.com";
    std::string reply = d.send("RCPT TO:<" + rcpt + ">\r\n");
    if (expect_accept(c)) {
        EXPECT_EQ(reply, "250 2.1.5 Ok\r\n");
    } else {
        EXPECT_EQ(reply, "550 5.7.1 <" + rcpt + ">: Relaying denied\r\n");
    }
}

std::vector<RelayCase> relay_cases() {
    std::vector<RelayCase> v;
    for (const char* mode : {"none", "authenticated", "networks", "open"})
        for (bool a : {false, true})
            for (bool t : {false, true})
                for (bool r : {false, true}) v.push_back({mode, a, t, r});
    return v;
}

INSTANTIATE_TEST_SUITE_P(Smtp, RelayMatrix, ::testing::ValuesIn(relay_cases()), [](const auto& info) {
    const auto& c = info.param;
    return c.mode + (c.authenticated ? "_auth" : "_anon") + (c.trusted ? "_trusted" : "_untrusted") + (c.remote ? "_remote" : "_local");
});

std::string send_message(Driver& d, std::string_view from, std::string_view to, std::string_view data) {
    d.send("EHLO client.example.org\r\n");
    d.send("MAIL FROM:<" + std::string(from) + ">\r\n");
    d.send("RCPT TO:<" + std::string(to) + ">\r\n");
    d.send("DATA\r\n");
    return d.send(data);
}

// RFC 5321 section 4.4: the Received line names the client's HELO, its
// address, us, the protocol (RFC 3848) and the id, and comes first.
TEST(SessionMessage, ReceivedHeaderFirstThenTheDataAsSent) {
    Driver d;
    EXPECT_EQ(send_message(d, "wfisk@bigsky.com", "Bob@sina.com", "Subject: hi\r\n\r\n..dot\r\nend\r\n.\r\n"),
              "250 2.0.0 Ok: queued as ID1\r\n");
    ASSERT_EQ(d.delivered().size(), 1u);
    EXPECT_EQ(d.delivered()[0].message,
              "Received: from client.example.org ([192.0.2.7])\r\n"
              "\tby mail.sina.com (mxlab) with ESMTP id ID1\r\n"
              "\tfor <Bob@sina.com>; Thu, 26 Nov 2026 12:00:00 +0000\r\n"
              "Subject: hi\r\n\r\n.dot\r\nend\r\n");
}

// RFC 3848: ESMTPSA for a TLS session with AUTH.
TEST(SessionMessage, ProtocolNamesTlsAndAuth) {
    Options o;
    o.tls_active = true;
    Driver d(o);
    d.send("EHLO c\r\n");
    d.send(plain_bob);
    d.send("MAIL FROM:<bob@sina.com>\r\nRCPT TO:<jack@sina.com>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    d.send("Subject: x\r\nDate: Thu, 26 Nov 2026 11:00:00 +0000\r\n\r\nhi\r\n.\r\n");
    ASSERT_EQ(d.delivered().size(), 1u);
    const auto& m = d.delivered()[0].message;
    EXPECT_NE(m.find("with ESMTPSA id ID1; Thu"), std::string::npos) << m;  // two recipients: no "for"
    EXPECT_EQ(m.find("Message-ID"), std::string::npos) << "port 25 adds nothing";
}

// RFC 6409 section 8: a submission server adds the Date and Message-ID a client left out, and only those.
TEST(SessionMessage, SubmissionAddsDateAndMessageIdOnlyWhenMissing) {
    Options o;
    o.port = Port::submission;
    Driver d(o);
    d.send("EHLO c\r\n");
    d.send(plain_bob);
    send_message(d, "bob@sina.com", "jack@sina.com", "Subject: a\r\n\r\nbody\r\n.\r\n");
    d.send("MAIL FROM:<bob@sina.com>\r\nRCPT TO:<jack@sina.com>\r\nDATA\r\n");
    d.send("date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMESSAGE-ID: <own@x>\r\n\r\nbody\r\n.\r\n");
    ASSERT_EQ(d.delivered().size(), 2u);
    const auto& first = d.delivered()[0].message;
    EXPECT_NE(first.find("\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\nMessage-ID: <ID1@mail.sina.com>\r\nSubject: a\r\n"),
              std::string::npos)
        << first;
    const auto& second = d.delivered()[1].message;
    EXPECT_EQ(second.find("Date: Thu"), std::string::npos) << second;
    EXPECT_EQ(second.find("<ID2@mail.sina.com>"), std::string::npos) << second;
}

// RFC 5321 section 4.5.3.1.8: at least 100 recipients must be taken; past our limit, 452.
TEST(SessionLimits, RecipientsPastTheLimitGet452) {
    Driver d;
    d.send("EHLO c\r\nMAIL FROM:<x@example.net>\r\n");
    for (int i = 0; i < 100; ++i) ASSERT_EQ(d.send("RCPT TO:<bob@sina.com>\r\n"), "250 2.1.5 Ok\r\n") << i;
    EXPECT_EQ(d.send("RCPT TO:<bob@sina.com>\r\n"), "452 4.5.3 Error: too many recipients\r\n");
    d.send("DATA\r\n");
    d.send("x\r\n.\r\n");
    ASSERT_EQ(d.delivered().size(), 1u);
    EXPECT_EQ(d.delivered()[0].local_users, std::vector<std::string>{"bob@sina.com"}) << "each user gets one copy";
}

// RFC 5321 section 4.5.3.1.4 and 4.5.3.1.6: over-long command and text lines.
TEST(SessionLimits, LongLines) {
    Driver d;
    d.send("EHLO c\r\n");
    EXPECT_EQ(d.send(std::string(5000, 'A')), "500 5.5.2 Error: line too long\r\n");
    EXPECT_EQ(d.send("BBB\r\nNOOP\r\n"), "250 2.0.0 Ok\r\n") << "the rest of the long line is skipped";
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(d.send(std::string(1001, 'x') + "\r\n.\r\n"),
              "554 5.6.0 Error: message has a line longer than 1000 octets (RFC 5321 section 4.5.3.1.6)\r\n");
    EXPECT_TRUE(d.delivered().empty());
}

// Postfix's hopcount_limit (50), our own Received line counted: a message
// that went round more often is looping (RFC 5321 section 6.3).
TEST(SessionLimits, TooManyHopsIsALoop) {
    auto data = [](int hops) {
        std::string d;
        for (int i = 0; i < hops; ++i) d += "Received: from hop" + std::to_string(i) + ".example\r\n";
        return d + "\r\nx\r\n.\r\n";
    };
    Driver d;
    EXPECT_EQ(send_message(d, "x@example.net", "bob@sina.com", data(49)), "250 2.0.0 Ok: queued as ID1\r\n");
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(d.send(data(50)), "554 5.4.6 Error: too many hops (mail loop?)\r\n");
    EXPECT_EQ(d.delivered().size(), 1u);
}

// A message is acknowledged only once stored: a store failure is a 451, and nothing is lost silently.
TEST(SessionStore, FailureIsATemporaryError) {
    Driver d;
    d.fail_store(true);
    EXPECT_EQ(send_message(d, "x@example.net", "bob@sina.com", "x\r\n.\r\n"),
              "451 4.3.0 Error: temporary failure storing the message; try again later\r\n");
    EXPECT_EQ(d.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

// RFC 5321 section 4.5.3.1: input arriving a byte at a time gives the same dialog.
TEST(SessionInput, ByteAtATime) {
    Driver d;
    std::string in = "EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\nline\r\n.\r\nQUIT\r\n";
    std::string out;
    for (char c : in) out += d.send(std::string_view(&c, 1));
    EXPECT_NE(out.find("250 2.0.0 Ok: queued as ID1\r\n221 2.0.0 Bye\r\n"), std::string::npos) << out;
    EXPECT_TRUE(d.closed());
    ASSERT_EQ(d.delivered().size(), 1u);
}

// The 421 a server sends when it refuses a client (too many connections).
TEST(SessionInput, Refused) {
    Driver d;
    d.session().refuse("Error: too many connections from 192.0.2.7");
    EXPECT_EQ(d.session().output(), "421 mail.sina.com Error: too many connections from 192.0.2.7\r\n");
    EXPECT_EQ(d.session().next(), Session::Action::close);
}

// SMTPUTF8 (RFC 6531 section 3.4): a UTF-8 recipient needs SMTPUTF8 on MAIL.
TEST(SessionUtf8, NeedsTheParameter) {
    Driver d;
    d.send("EHLO c\r\nMAIL FROM:<x@example.net>\r\n");
    EXPECT_EQ(d.send("RCPT TO:<bøb@sina.com>\r\n").substr(0, 9), "553 5.6.7");
    d.send("RSET\r\n");
    EXPECT_EQ(d.send("MAIL FROM:<x@example.net> SMTPUTF8\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(d.send("RCPT TO:<bøb@sina.com>\r\n").substr(0, 9), "550 5.1.1") << "allowed, but no such user";
}

}  // namespace
}  // namespace mxlab::smtp::test
