// smtp::Session handing a large message to the store in parts (Action::store_part): the parts and the rest are the message, byte for byte.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "session_driver.hpp"

namespace mxlab::smtp::test {
namespace {

const char* const plain_bob = "AUTH PLAIN AGJvYgBib2IxMjM=\r\n";  // \0bob\0bob123
constexpr std::size_t small_parts = 512;

// About 8 KB (the lab's limit is 10K): `header_lines` header fields, then
// body lines with dots at their starts, as a client sends them after DATA
// (dot-stuffed, ended by <CRLF>.<CRLF>).
std::string data_lines(int header_lines, bool with_date) {
    std::string d = "Subject: parts\r\n";
    if (with_date) d += "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <own@example.net>\r\n";
    for (int i = 0; i < header_lines; ++i) d += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'h') + "\r\n";
    d += "\r\n";
    for (int i = 0; d.size() < 8000; ++i) d += (i % 7 == 0 ? ".." : "") + std::to_string(i) + std::string(60, 'b') + "\r\n";
    return d + ".\r\n";
}

// The data in 500-octet reads, as a server's reads cut it (a part can only go
// out between two reads); the replies to all of them.
std::string send_in_reads(Driver& d, const std::string& data) {
    std::string replies;
    for (std::size_t at = 0; at < data.size(); at += 500) replies += d.send(data.substr(at, 500));
    return replies;
}

struct Sent {
    std::vector<std::string> replies;  // one per piece
    Transaction stored;
    std::vector<std::size_t> parts;
};

// A fresh session on `port` (AUTH first on 587) with Bob's transaction open, storing parts at `store_part_at`.
std::unique_ptr<Driver> after_rcpt(Port port, std::size_t store_part_at) {
    Options o;
    o.port = port;
    o.store_part_at = store_part_at;
    auto d = std::make_unique<Driver>(o);
    d->send("EHLO client.example.org\r\n");
    if (port != Port::mx) d->send(plain_bob);
    d->send("MAIL FROM:<bob@sina.com>\r\nRCPT TO:<jack@sina.com>\r\n");
    return d;
}

Sent outcome(Driver& d, Sent s) {
    if (!d.delivered().empty()) s.stored = d.delivered().back();
    s.parts = d.parts();
    return s;
}

// One message by DATA, sent in `piece`-sized reads.
Sent send(Port port, std::size_t store_part_at, const std::string& data, std::size_t piece) {
    auto d = after_rcpt(port, store_part_at);
    d->send("DATA\r\n");
    Sent s;
    for (std::size_t at = 0; at < data.size(); at += piece) s.replies.push_back(d->send(data.substr(at, piece)));
    return outcome(*d, std::move(s));
}

// The bytes stored do not depend on whether, or where, the message went in parts.
TEST(SessionStorePart, PartsAndTheRestAreTheWholeMessage) {
    for (Port port : {Port::mx, Port::submission}) {
        for (bool with_date : {false, true}) {
            const std::string data = data_lines(3, with_date);
            const Sent whole = send(port, Limits{}.store_part_at, data, 1000);
            ASSERT_FALSE(whole.stored.message.empty());
            EXPECT_EQ(whole.stored.stored, 0u);
            EXPECT_TRUE(whole.parts.empty());
            for (std::size_t piece : {1u, 100u, 4096u}) {
                SCOPED_TRACE("port " + std::to_string(static_cast<int>(port)) + " date " + std::to_string(with_date) +
                             " piece " + std::to_string(piece));
                const Sent parted = send(port, small_parts, data, piece);
                EXPECT_EQ(parted.stored.message, whole.stored.message);
                EXPECT_GT(parted.stored.stored, 0u);
                ASSERT_GE(parted.parts.size(), piece < 1000 ? 10u : 1u);
                for (std::size_t n : parted.parts) EXPECT_GE(n, small_parts);
                EXPECT_EQ(parted.replies.back(), "250 2.0.0 Ok: queued as ID1\r\n");
            }
        }
    }
}

// RFC 6409 section 8: on submission the Date and Message-ID we add go in
// after our Received line, before the client's header section, so nothing is
// stored before that section has ended.
TEST(SessionStorePart, NothingIsStoredBeforeTheHeaderSectionEnds) {
    Options o;
    o.port = Port::submission;
    o.store_part_at = small_parts;
    Driver d(o);
    d.send("EHLO c\r\n");
    d.send(plain_bob);
    d.send("MAIL FROM:<bob@sina.com>\r\nRCPT TO:<jack@sina.com>\r\nDATA\r\n");
    const std::string data = data_lines(60, false);  // about 3.5 KB of header fields
    const std::size_t body = data.find("\r\n\r\n") + 4;
    std::size_t at = 0;
    for (; at + 100 <= body; at += 100) {
        d.send(data.substr(at, 100));
        ASSERT_TRUE(d.parts().empty()) << "at " << at;
    }
    for (; at < data.size(); at += 100) d.send(data.substr(at, 100));
    ASSERT_EQ(d.delivered().size(), 1u);
    EXPECT_FALSE(d.parts().empty());
    const std::string& m = d.delivered()[0].message;
    EXPECT_NE(m.find("\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\nMessage-ID: <ID1@mail.sina.com>\r\nSubject: parts\r\n"),
              std::string::npos)
        << m.substr(0, 400);
}

// `message` by BDAT in 100-octet chunks on `port`; checks each chunk's 250
// (RFC 3030 section 2: the client's octets so far, not the Date and
// Message-ID added on 587) and returns what was stored.
Sent send_by_bdat(Port port, std::size_t store_part_at, const std::string& message) {
    auto d = after_rcpt(port, store_part_at);
    Sent s;
    for (std::size_t at = 0; at < message.size(); at += 100) {
        const std::string chunk = message.substr(at, 100);
        const bool last = at + 100 >= message.size();
        s.replies.push_back(d->send("BDAT " + std::to_string(chunk.size()) + (last ? " LAST" : "") + "\r\n" + chunk));
        EXPECT_EQ(s.replies.back(), last ? "250 2.0.0 Ok: queued as ID1\r\n"
                                         : "250 2.0.0 " + std::to_string(at + chunk.size()) + " octets received\r\n");
    }
    return outcome(*d, std::move(s));
}

// BDAT: many small chunks add up to parts too.
TEST(SessionStorePart, SmallBdatChunksAreStoredInParts) {
    const std::string data = data_lines(3, false);
    const std::string message = data.substr(0, data.size() - 3);  // BDAT sends the bytes as they are: no ".\r\n"
    for (Port port : {Port::mx, Port::submission}) {
        SCOPED_TRACE("port " + std::to_string(static_cast<int>(port)));
        const Sent whole = send_by_bdat(port, Limits{}.store_part_at, message);
        const Sent parted = send_by_bdat(port, small_parts, message);
        ASSERT_FALSE(whole.stored.message.empty());
        EXPECT_TRUE(whole.parts.empty());
        EXPECT_GE(parted.parts.size(), 10u);
        EXPECT_EQ(parted.stored.message, whole.stored.message);
    }
}

// A message with more hops than allowed is known to be refused once its header section has ended: nothing of it is staged.
TEST(SessionStorePart, ALoopingMessageIsNotStaged) {
    Options o;
    o.store_part_at = small_parts;
    Driver d(o);
    std::string data;
    for (int i = 0; i < 50; ++i) data += "Received: from hop" + std::to_string(i) + ".example\r\n";
    data += "\r\n";
    while (data.size() < 8000) data += std::string(70, 'l') + "\r\n";
    d.send("EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, data + ".\r\n"), "554 5.4.6 Error: too many hops (mail loop?)\r\n");
    EXPECT_TRUE(d.parts().empty());
}

// A part the store could not take: the data is still read to its end, the
// message gets 451 (RFC 5321 section 4.2.5: the client tries again), the
// session goes on and the next message starts afresh.
TEST(SessionStorePart, AFailedPartRefusesTheMessageWith451) {
    Options o;
    o.store_part_at = small_parts;
    Driver d(o);
    d.fail_parts(true);
    d.send("EHLO c\r\nMAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, data_lines(3, false)), "451 4.3.0 Error: temporary failure storing the message; try again later\r\n");
    EXPECT_EQ(d.parts().size(), 1u) << "after a failure the rest is dropped, not stored";
    EXPECT_TRUE(d.delivered().empty());
    d.fail_parts(false);
    EXPECT_EQ(d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n"),
              "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(send_in_reads(d, data_lines(3, false)).rfind("250 2.0.0 Ok: queued as ", 0), 0u);
    ASSERT_EQ(d.delivered().size(), 1u);
    EXPECT_GT(d.delivered()[0].stored, 0u);
    EXPECT_EQ(d.delivered()[0].message.find("Received: "), 0u);
    EXPECT_EQ(d.delivered()[0].message.find("Received: ", 1), std::string::npos) << "nothing of the failed message";
}

// A message refused at its end (SMTP smuggling, a line over 1000 octets, over
// the size limit) after parts went out: nothing is delivered, and the next message's
// first part starts a new blob (Transaction::stored is 0 again).
TEST(SessionStorePart, ARefusedMessageDeliversNothingOfItsParts) {
    Options o;
    o.store_part_at = small_parts;
    Driver d(o);
    d.send("EHLO c\r\n");
    const std::string body = data_lines(3, false);
    const std::string smuggled = body.substr(0, body.size() - 3) + "\n.\r\nMAIL FROM:<evil@x>\r\n.\r\n";
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, smuggled),
              "550 5.5.2 Error: bare <LF> or <CR> around the end of data is not allowed (SMTP smuggling)\r\n");
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, body.substr(0, body.size() - 3) + std::string(2000, 'x') + "\r\n.\r\n"),
              "554 5.6.0 Error: message has a line longer than 1000 octets (RFC 5321 section 4.5.3.1.6)\r\n");
    std::string big;
    while (big.size() < 11000) big += std::string(70, 'z') + "\r\n";
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, big + ".\r\n"), "552 5.3.4 Error: message size exceeds fixed limit\r\n");
    EXPECT_TRUE(d.delivered().empty());
    const std::size_t before = d.parts().size();
    EXPECT_GE(before, 1u);
    d.send("MAIL FROM:<x@example.net>\r\nRCPT TO:<bob@sina.com>\r\nDATA\r\n");
    EXPECT_EQ(send_in_reads(d, body).rfind("250 2.0.0 Ok: queued as ", 0), 0u);
    ASSERT_EQ(d.delivered().size(), 1u);
    const std::string& m = d.delivered()[0].message;
    EXPECT_EQ(m.find("Received: ", 1), std::string::npos) << "nothing of a refused message";
    std::string unstuffed = body.substr(0, body.size() - 3);
    for (std::size_t at = 0; (at = unstuffed.find("\r\n..", at)) != std::string::npos; at += 3) unstuffed.erase(at + 2, 1);
    EXPECT_EQ(m.substr(m.find("\r\nSubject: ") + 2), unstuffed);
    EXPECT_GT(d.parts().size(), before);
}

}  // namespace
}  // namespace mxlab::smtp::test
