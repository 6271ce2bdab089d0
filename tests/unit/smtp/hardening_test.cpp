// smtp::Session against hostile input (issue 12): over-long command lines however they arrive, a header section that never ends, and AUTH on port 25.
#include <gtest/gtest.h>

#include <string>

#include "session_driver.hpp"

namespace mxlab::smtp::test {
namespace {

int count(const std::string& s, std::string_view what) {
    int n = 0;
    for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

// RFC 5321 section 4.5.3.1.4: one 500 for a line over the limit, whether it
// arrives in one read or in many, and the session goes on with the next line.
TEST(LongLine, OneReadGetsOne500) {
    Driver d;
    const std::string out = d.send("EHLO c\r\n" + std::string(5000, 'A') + "\r\nNOOP\r\n");
    EXPECT_EQ(count(out, "500 5.5.2 Error: line too long\r\n"), 1) << out;
    EXPECT_NE(out.find("250 2.0.0 Ok\r\n"), std::string::npos) << out;  // the NOOP after it
    EXPECT_FALSE(d.closed());
}

TEST(LongLine, ManyReadsGetOne500) {
    Driver d;
    d.send("EHLO c\r\n");
    std::string out;
    for (int i = 0; i < 64; ++i) out += d.send(std::string(16384, 'A'));  // 1 MiB without a line end
    out += d.send("\r\nNOOP\r\n");
    EXPECT_EQ(count(out, "500"), 1) << out.substr(0, 400);
    EXPECT_EQ(count(out, "250 2.0.0 Ok\r\n"), 1);
    EXPECT_FALSE(d.closed());
}

TEST(LongLine, ByteAtATimeGetsOne500) {
    Driver d;
    d.send("EHLO c\r\n");
    std::string out;
    for (int i = 0; i < 5000; ++i) out += d.send("A");
    out += d.send("\r\n");
    EXPECT_EQ(count(out, "500 5.5.2 Error: line too long\r\n"), 1);
}

TEST(LongLine, AtTheLimitIsACommand) {
    Driver d;
    d.send("EHLO c\r\n");
    const std::string line = "NOOP " + std::string(Limits{}.max_line - 5, 'x');
    ASSERT_EQ(line.size(), Limits{}.max_line);
    EXPECT_EQ(d.send(line + "\r\n"), "250 2.0.0 Ok\r\n");
    EXPECT_EQ(d.send(line + "x\r\n"), "500 5.5.2 Error: line too long\r\n");
}

// Issue 12, finding 2: a header section that never ends was held whole in
// memory up to max_message_size. Past max_header_section it is body, and the
// message goes to the store in parts like any other.
TEST(HeaderSection, NeverEndingHeaderIsStagedInParts) {
    // Scaled down to the lab's 10K max_message_size: parts of 2 KB, a 1 KB header bound.
    Options o;
    o.store_part_at = 2048;
    o.max_header_section = 1024;
    Driver d(o);
    d.send("EHLO c\r\nMAIL FROM:<wfisk@bigsky.com>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    const std::string chunk = "X-Filler: " + std::string(88, 'h') + "\r\n";  // 100 bytes, never an empty line
    std::string all;
    for (int i = 0; i < 90; ++i) {
        d.send(chunk);
        all += chunk;
        // What the session holds stays near store_part_at, never the whole message.
        ASSERT_LT(d.session().transaction().message.size(), o.store_part_at + chunk.size()) << i;
    }
    EXPECT_GE(d.parts().size(), 3u);
    EXPECT_EQ(d.send(".\r\n"), "250 2.0.0 Ok: queued as ID1\r\n");
    ASSERT_EQ(d.delivered().size(), 1u);
    const auto& m = d.delivered()[0].message;
    ASSERT_GE(m.size(), all.size());
    EXPECT_EQ(m.substr(m.size() - all.size()), all);  // every byte kept, in order
}

// With the default part size too: the header bound is below it.
TEST(HeaderSection, BoundIsBelowThePartSize) { EXPECT_LT(Limits{}.max_header_section, Limits{}.store_part_at); }

// Issue 12, finding 11: AUTH on port 25 let bob send as jack to the outside.
TEST(AuthOnPort25, SenderRuleHolds) {
    Driver d;
    d.send("EHLO c\r\n");
    ASSERT_EQ(d.send("AUTH PLAIN AGJvYgBib2IxMjM=\r\n"), "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(d.send("MAIL FROM:<jack@sina.com>\r\n"),
              "553 5.7.1 <jack@sina.com>: Sender address rejected: not owned by user bob@sina.com\r\n");
    EXPECT_EQ(d.send("MAIL FROM:<bob@sina.com>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(d.send("RCPT TO:<wfisk@bigsky.com>\r\n"), "250 2.1.5 Ok\r\n");
}

// Without AUTH, port 25 is the MX: anyone may write to local users as anyone.
TEST(AuthOnPort25, AnonymousSenderIsFree) {
    Driver d;
    d.send("EHLO c\r\n");
    EXPECT_EQ(d.send("MAIL FROM:<jack@sina.com>\r\n"), "250 2.1.0 Ok\r\n");
    EXPECT_EQ(d.send("RCPT TO:<bob@sina.com>\r\n"), "250 2.1.5 Ok\r\n");
}

// Issue 13, item 2: the refusal says how long to wait.
TEST(Throttled, ReplySaysHowLongToWait) {
    Driver d;
    d.send("EHLO c\r\n");
    d.session().receive("AUTH PLAIN AGJvYgBib2IxMjM=\r\n");
    ASSERT_EQ(d.session().next(), Session::Action::authenticate);
    d.session().auth_throttled(std::chrono::seconds(287));
    EXPECT_EQ(d.pump(), "454 4.7.0 Error: too many failed logins; try again in 5 minutes\r\n");
    EXPECT_EQ(d.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");  // the session goes on
}

// Issue 14, item 8: when the password pool is full nothing was checked: a temporary 454 (RFC 4954 section 6), not "failed".
TEST(Unavailable, PasswordNotCheckedIsTemporary) {
    Driver d;
    d.send("EHLO c\r\n");
    d.session().receive("AUTH PLAIN AGJvYgBib2IxMjM=\r\n");
    ASSERT_EQ(d.session().next(), Session::Action::authenticate);
    d.session().auth_result(Session::AuthOutcome::unavailable);
    EXPECT_EQ(d.pump(), "454 4.7.0 Temporary authentication failure; try again later\r\n");
    EXPECT_EQ(d.send("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

}  // namespace
}  // namespace mxlab::smtp::test
