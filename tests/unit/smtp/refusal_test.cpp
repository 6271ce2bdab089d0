// smtp::Session's refusal records (issue 13, item 1): what the server logs as "smtp.rejected" for each refused MAIL, RCPT, DATA, BDAT and AUTH, and how many a connection can make.
#include <gtest/gtest.h>

#include <string>

#include "session_driver.hpp"

namespace mxlab::smtp::test {
namespace {

const char* const greeting_and_mail = "EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\n";

void expect_refusal(const Refusal& r, Refusal::Stage stage, std::string_view from, std::string_view reply) {
    EXPECT_EQ(stage_name(r.stage), stage_name(stage));
    EXPECT_EQ(r.from, from);
    EXPECT_EQ(r.reply, reply);
}

// RFC 1870 section 6.3 (552 at the end of data) and RFC 5321 section 6.3 (a
// loop): refusals at the end of the data name the transaction's sender.
TEST(Refusals, EndOfData) {
    Driver d;
    d.send(std::string(greeting_and_mail) + "DATA\r\n");
    d.send(std::string(11000, 'x').insert(0, "Subject: big\r\n\r\n") + "\r\n.\r\n");
    std::string hops;
    for (int i = 0; i < 50; ++i) hops += "Received: from hop" + std::to_string(i) + ".example\r\n";
    d.send("MAIL FROM:<>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    d.send(hops + "\r\nx\r\n.\r\n");
    ASSERT_EQ(d.refusals().size(), 2u);
    expect_refusal(d.refusals()[0], Refusal::Stage::data, "<x@example.net>", "552 5.3.4 Error: message size exceeds fixed limit");
    expect_refusal(d.refusals()[1], Refusal::Stage::data, "<>", "554 5.4.6 Error: too many hops (mail loop?)");
    EXPECT_TRUE(d.refusals()[1].to.empty());
}

// RFC 3030 section 2: a message sent in BDAT chunks refused at LAST.
TEST(Refusals, BdatOverTheLimit) {
    Driver d;
    d.send(greeting_and_mail);
    d.send("BDAT 6000\r\n" + std::string(6000, 'a'));
    d.send("BDAT 6000 LAST\r\n" + std::string(6000, 'b'));
    ASSERT_EQ(d.refusals().size(), 1u);
    expect_refusal(d.refusals()[0], Refusal::Stage::bdat, "<x@example.net>", "552 5.3.4 Error: message size exceeds fixed limit");
}

// A store failure's 451 refuses the message too.
TEST(Refusals, StoreFailure) {
    Driver d;
    d.fail_store(true);
    d.send(std::string(greeting_and_mail) + "DATA\r\nx\r\n.\r\n");
    ASSERT_EQ(d.refusals().size(), 1u);
    expect_refusal(d.refusals()[0], Refusal::Stage::data, "<x@example.net>",
                   "451 4.3.0 Error: temporary failure storing the message; try again later");
}

// Bad credentials and a throttled login both name the login, never the password.
TEST(Refusals, AuthNamesTheLoginNotThePassword) {
    Driver d;
    d.send("EHLO c\r\nAUTH PLAIN AGJvYkBzaW5hLmNvbQB3cm9uZw==\r\n");  // bob@sina.com / wrong
    d.session().receive("AUTH PLAIN AGJvYgBib2IxMjM=\r\n");             // bob / bob123
    ASSERT_EQ(d.session().next(), Session::Action::authenticate);
    d.session().auth_throttled(std::chrono::seconds(287));
    d.pump();
    ASSERT_EQ(d.refusals().size(), 2u);
    const auto& bad = d.refusals()[0];
    EXPECT_EQ(stage_name(bad.stage), "auth");
    EXPECT_EQ(bad.user, "bob@sina.com");
    EXPECT_EQ(bad.reply, "535 5.7.8 Error: authentication failed");
    const auto& throttled = d.refusals()[1];
    EXPECT_EQ(stage_name(throttled.stage), "auth");
    EXPECT_EQ(throttled.user, "bob");
    EXPECT_EQ(throttled.reply, "454 4.7.0 Error: too many failed logins; try again in 5 minutes");
    for (const auto& r : d.refusals()) {
        for (const auto* field : {&r.reply, &r.from, &r.to, &r.user}) {
            EXPECT_EQ(field->find("wrong"), std::string::npos) << *field;
            EXPECT_EQ(field->find("bob123"), std::string::npos) << *field;
        }
    }
}

// What is not a refused MAIL, RCPT, DATA, BDAT or AUTH is not reported:
// accepted commands, unknown verbs, over-long lines, EXPN.
TEST(Refusals, OnlyRefusedTransactionAndAuthCommands) {
    Driver d;
    d.send(std::string(greeting_and_mail) + "DATA\r\nSubject: ok\r\n\r\nhi\r\n.\r\n");
    d.send("FOO\r\nEXPN staff\r\n" + std::string(5000, 'A') + "\r\nNOOP\r\nAUTH PLAIN AGJvYgBib2IxMjM=\r\n");
    EXPECT_EQ(d.delivered().size(), 1u);
    EXPECT_TRUE(d.refusals().empty()) << d.refusals()[0].reply;
}

// Log flooding: 1000 refused RCPTs in one read make max_errors_in_a_row (10)
// records, then the session hangs up (421), as chasquid.
TEST(Refusals, BoundedByTheErrorLimit) {
    Driver d;
    std::string flood = "EHLO c\r\nMAIL FROM:<x@example.net>\r\n";
    for (int i = 0; i < 1000; ++i) flood += "RCPT TO:<nobody" + std::to_string(i) + "@sina.com>\r\n";
    const std::string out = d.send(flood);
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(d.refusals().size(), Limits{}.max_errors_in_a_row);
    EXPECT_NE(out.find("421 4.7.0 mail.sina.com Error: too many errors\r\n"), std::string::npos);
    EXPECT_EQ(d.refusals().back().to, "<nobody9@sina.com>");
}

// With a good command between every few, Postfix's smtpd_hard_error_limit
// (max_errors, 20 in all) still ends the session.
TEST(Refusals, BoundedInAllByTheErrorLimit) {
    Driver d;
    std::string flood = "EHLO c\r\nMAIL FROM:<x@example.net>\r\n";
    for (int i = 0; i < 1000; ++i) flood += "RCPT TO:<nobody" + std::to_string(i) + "@sina.com>\r\nNOOP\r\n";
    const std::string out = d.send(flood);
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(d.refusals().size(), Limits{}.max_errors);
    EXPECT_EQ(d.refusals().back().to, "<nobody19@sina.com>");
}

// Issue 14, item 9: ten refused commands in a row hang up; a good one between starts the count again.
TEST(Refusals, TenInARowHangUp) {
    Driver d;
    std::string nine;
    for (int i = 0; i < 9; ++i) nine += "FOO\r\n";
    d.send("EHLO c\r\n" + nine + "NOOP\r\n" + nine);
    EXPECT_FALSE(d.closed());
    const std::string out = d.send("FOO\r\n");
    EXPECT_TRUE(d.closed());
    EXPECT_EQ(out, "500 5.5.2 Error: command not recognized\r\n421 4.7.0 mail.sina.com Error: too many errors\r\n");
}

// 452 too many recipients is no error of the client's (RFC 5321 section
// 4.5.3.1.10) and never hangs up: it is reported once per transaction, and
// at most max_errors times per connection.
TEST(Refusals, TooManyRecipientsOncePerTransactionBounded) {
    Options o;
    o.max_recipients = 1;
    Driver d(o);
    d.send("EHLO c\r\n");
    for (int t = 0; t < 30; ++t) {
        std::string txn = "MAIL FROM:<x@example.net>\r\n";
        for (int i = 0; i < 5; ++i) txn += "RCPT TO:<bob@sina.com>\r\n";
        d.send(txn + "RSET\r\n");
        if (t == 0) {
            ASSERT_EQ(d.refusals().size(), 1u);
            EXPECT_EQ(d.refusals()[0].reply, "452 4.5.3 Error: too many recipients");
            EXPECT_EQ(d.refusals()[0].to, "<bob@sina.com>");
        }
    }
    EXPECT_FALSE(d.closed());
    EXPECT_EQ(d.refusals().size(), Limits{}.max_errors);
}

}  // namespace
}  // namespace mxlab::smtp::test
