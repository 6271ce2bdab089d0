// Tests for mail/queue/bounce (RFC 3464 delivery status notifications) and mail/queue/retry (the retry schedule).
#include "mail/queue/bounce.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/ascii.hpp"
#include "mail/queue/retry.hpp"

namespace mxlab::queue {
namespace {

using namespace std::chrono;

TimePoint at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

const std::string original_message =
    "Received: from [10.1.2.3] (helo=pc1) by mail.sina.com with ESMTPSA id 1A2B3C4D\r\n"
    "\tfor <wfisk@bigsky.com>; Sat, 18 Jan 2025 10:00:00 +0000\r\n"
    "From: Jack <jack@sina.com>\r\n"
    "To: wfisk@bigsky.com, Lisa.Smith@bigsky.org\r\n"
    "Subject: lab 3 results\r\n"
    "Date: Sat, 18 Jan 2025 10:59:59 +0100\r\n"
    "Message-ID: <lab3.42@pc1.sina.com>\r\n"
    "\r\n"
    "The body, never returned.\r\n";

// The golden case: one recipient refused by the peer at RCPT, one whose MX
// refused connections until the queue lifetime ended.
BounceRequest two_failures(std::string_view original = original_message) {
    BounceRequest r;
    r.reporting_mta = "mail.sina.com";
    r.sender = "jack@sina.com";
    r.queue_id = "1A2B3C4D";
    r.arrival = at(2025, 1, 18, 10, 0, 0);
    r.now = at(2025, 1, 18, 10, 30, 0);
    BounceRecipient a;
    a.address = "wfisk@bigsky.com";
    a.status = "5.1.1";
    a.remote_mta = "mail.bigsky.com";
    a.remote_ip = "127.0.2.10";
    a.diagnostic = "550 5.1.1 <wfisk@bigsky.com>: Recipient address rejected: User unknown in local recipient table";
    a.from_remote = true;
    a.in_reply_to = "RCPT TO";
    a.last_attempt = at(2025, 1, 18, 10, 0, 2);
    BounceRecipient b;
    b.address = "lsmith@bigsky.org";
    b.original = "Lisa.Smith@bigsky.org";
    b.status = "5.4.7";
    b.diagnostic = "connect to mail.bigsky.org[127.0.2.20]:25: Connection refused; message expired after 30m in the queue";
    b.last_attempt = at(2025, 1, 18, 10, 29, 30);
    r.recipients = {a, b};
    r.original = original;
    return r;
}

Bounce make(const BounceRequest& r) {
    auto res = make_bounce(r);
    if (auto* e = std::get_if<BounceError>(&res)) {
        ADD_FAILURE() << "make_bounce: " << to_string(*e);
        return {};
    }
    return std::get<Bounce>(std::move(res));
}

BounceError error_of(const BounceRequest& r) {
    auto res = make_bounce(r);
    if (!std::holds_alternative<BounceError>(res)) {
        ADD_FAILURE() << "expected an error";
        return BounceError::no_recipients;
    }
    return std::get<BounceError>(res);
}

// A minimal MIME reader, enough to check the structure (RFC 2045, 2046).
struct Entity {
    std::map<std::string, std::string> fields;  // lower-case name -> unfolded value
    std::vector<std::string> order;             // field names as written
    std::string body;
};


Entity parse_entity(std::string_view text) {
    Entity e;
    std::size_t end = text.find("\r\n\r\n");
    std::string_view head = end == std::string_view::npos ? text : text.substr(0, end + 2);
    if (end != std::string_view::npos) e.body = std::string(text.substr(end + 4));
    std::string last;
    std::size_t pos = 0;
    while (pos < head.size()) {
        std::size_t eol = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty()) continue;
        if (line[0] == ' ' || line[0] == '\t') {  // RFC 5322 section 2.2.3: unfold
            e.fields[last] += std::string(line);
            continue;
        }
        std::size_t colon = line.find(':');
        std::string name(line.substr(0, colon));
        std::string value(line.substr(colon + 1));
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        last = lower(name);
        e.order.push_back(name);
        e.fields[last] = value;
    }
    return e;
}

std::string boundary_of(const Entity& top) {
    const std::string& ct = top.fields.at("content-type");
    std::size_t b = ct.find("boundary=\"");
    if (b == std::string::npos) return "";
    b += 10;
    return ct.substr(b, ct.find('"', b) - b);
}

// The body parts of a multipart entity (RFC 2046 section 5.1.1).
std::vector<std::string> split_parts(const std::string& body, const std::string& boundary) {
    std::vector<std::string> parts;
    std::string delim = "\r\n--" + boundary;
    std::size_t pos = body.find(delim);
    while (pos != std::string::npos) {
        std::size_t start = pos + delim.size();
        if (body.compare(start, 2, "--") == 0) break;  // the close delimiter
        start += 2;                                    // CRLF after the delimiter
        std::size_t next = body.find(delim, start);
        if (next == std::string::npos) break;
        parts.push_back(body.substr(start, next - start));
        pos = next;
    }
    return parts;
}

std::vector<std::string> lines_of(const std::string& m) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < m.size()) {
        std::size_t eol = m.find("\r\n", pos);
        if (eol == std::string::npos) eol = m.size();
        lines.push_back(m.substr(pos, eol - pos));
        pos = eol + 2;
    }
    return lines;
}

// RFC 5322 section 2.3: CR and LF only together; section 2.1.1: at most
// 998 octets a line.
void expect_wellformed_lines(const std::string& m) {
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (m[i] == '\n') {
            ASSERT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
        }
        if (m[i] == '\r') {
            ASSERT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
        }
    }
    ASSERT_TRUE(m.size() >= 2 && m.compare(m.size() - 2, 2, "\r\n") == 0);
    for (const auto& line : lines_of(m)) EXPECT_LE(line.size(), 998u) << line.substr(0, 60);
}

const char* const golden =
    "Date: Sat, 18 Jan 2025 10:30:00 +0000\r\n"
    "From: \"Mail Delivery System\" <MAILER-DAEMON@mail.sina.com>\r\n"
    "To: <jack@sina.com>\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "Message-ID: <20250118103000.1A2B3C4D@mail.sina.com>\r\n"
    "Auto-Submitted: auto-replied\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"mxlab-1A2B3C4D-20250118103000\"\r\n"
    "\r\n"
    "This is a MIME-encapsulated message.\r\n"
    "\r\n"
    "--mxlab-1A2B3C4D-20250118103000\r\n"
    "Content-Description: Notification\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "This is the mail system at host mail.sina.com.\r\n"
    "\r\n"
    "I'm sorry to have to inform you that your message could not\r\n"
    "be delivered to one or more recipients. Its headers are attached\r\n"
    "below.\r\n"
    "\r\n"
    "For further assistance, please send mail to postmaster.\r\n"
    "\r\n"
    "If you do so, please include this problem report.\r\n"
    "\r\n"
    "                   The mail system\r\n"
    "\r\n"
    "<wfisk@bigsky.com>: host mail.bigsky.com[127.0.2.10] said: 550 5.1.1\r\n"
    "    <wfisk@bigsky.com>: Recipient address rejected: User unknown in local\r\n"
    "    recipient table (in reply to RCPT TO command)\r\n"
    "\r\n"
    "<lsmith@bigsky.org> (expanded from <Lisa.Smith@bigsky.org>): connect to\r\n"
    "    mail.bigsky.org[127.0.2.20]:25: Connection refused; message expired\r\n"
    "    after 30m in the queue\r\n"
    "\r\n"
    "--mxlab-1A2B3C4D-20250118103000\r\n"
    "Content-Description: Delivery report\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mail.sina.com\r\n"
    "X-Mxlab-Queue-ID: 1A2B3C4D\r\n"
    "Arrival-Date: Sat, 18 Jan 2025 10:00:00 +0000\r\n"
    "\r\n"
    "Final-Recipient: rfc822; wfisk@bigsky.com\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Remote-MTA: dns; mail.bigsky.com\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <wfisk@bigsky.com>: Recipient address\r\n"
    " rejected: User unknown in local recipient table\r\n"
    "Last-Attempt-Date: Sat, 18 Jan 2025 10:00:02 +0000\r\n"
    "\r\n"
    "Original-Recipient: rfc822; Lisa.Smith@bigsky.org\r\n"
    "Final-Recipient: rfc822; lsmith@bigsky.org\r\n"
    "Action: failed\r\n"
    "Status: 5.4.7\r\n"
    "Diagnostic-Code: X-mxlab; connect to mail.bigsky.org[127.0.2.20]:25:\r\n"
    " Connection refused; message expired after 30m in the queue\r\n"
    "Last-Attempt-Date: Sat, 18 Jan 2025 10:29:30 +0000\r\n"
    "\r\n"
    "--mxlab-1A2B3C4D-20250118103000\r\n"
    "Content-Description: Undelivered Message Headers\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "Received: from [10.1.2.3] (helo=pc1) by mail.sina.com with ESMTPSA id 1A2B3C4D\r\n"
    "\tfor <wfisk@bigsky.com>; Sat, 18 Jan 2025 10:00:00 +0000\r\n"
    "From: Jack <jack@sina.com>\r\n"
    "To: wfisk@bigsky.com, Lisa.Smith@bigsky.org\r\n"
    "Subject: lab 3 results\r\n"
    "Date: Sat, 18 Jan 2025 10:59:59 +0100\r\n"
    "Message-ID: <lab3.42@pc1.sina.com>\r\n"
    "\r\n"
    "--mxlab-1A2B3C4D-20250118103000--\r\n";

// RFC 3464 section 2 in RFC 6522 section 3's multipart/report, byte for byte.
TEST(Bounce, GoldenTwoFailedRecipients) {
    Bounce b = make(two_failures());
    EXPECT_EQ(b.message, golden);
    EXPECT_FALSE(b.eight_bit);
}

// RFC 6522 section 3: multipart/report with report-type, three parts: text,
// message/delivery-status, returned headers. RFC 3464 section 2.1: the
// status part is per-message fields, then one block per recipient.
TEST(Bounce, StructureParsesAsAMultipartReport) {
    Bounce b = make(two_failures());
    Entity top = parse_entity(b.message);
    EXPECT_EQ(top.fields["mime-version"], "1.0");
    EXPECT_EQ(top.fields["auto-submitted"], "auto-replied");  // RFC 3834 section 5
    EXPECT_EQ(top.fields["to"], "<jack@sina.com>");
    EXPECT_EQ(top.fields["from"], "\"Mail Delivery System\" <MAILER-DAEMON@mail.sina.com>");
    EXPECT_EQ(top.fields["message-id"], "<20250118103000.1A2B3C4D@mail.sina.com>");
    EXPECT_EQ(top.fields["date"], "Sat, 18 Jan 2025 10:30:00 +0000");  // RFC 5322 section 3.3
    ASSERT_EQ(top.fields["content-type"].rfind("multipart/report; report-type=delivery-status;", 0), 0u);
    std::string boundary = boundary_of(top);
    ASSERT_FALSE(boundary.empty());
    EXPECT_LE(boundary.size(), 70u);  // RFC 2046 section 5.1.1
    auto parts = split_parts("\r\n" + top.body, boundary);
    ASSERT_EQ(parts.size(), 3u);

    Entity text = parse_entity(parts[0]);
    EXPECT_EQ(text.fields["content-type"], "text/plain; charset=us-ascii");

    Entity status = parse_entity(parts[1]);
    EXPECT_EQ(status.fields["content-type"], "message/delivery-status");
    // Blocks separated by blank lines; the body ends with the last field's CRLF.
    std::vector<Entity> blocks;
    std::string s = status.body;
    std::size_t pos = 0;
    while (pos < s.size()) {
        std::size_t end = s.find("\r\n\r\n", pos);
        std::size_t stop = end == std::string::npos ? s.size() : end + 2;
        blocks.push_back(parse_entity(s.substr(pos, stop - pos)));
        pos = end == std::string::npos ? s.size() : end + 4;
    }
    ASSERT_EQ(blocks.size(), 3u);
    // RFC 3464 section 2.2: Reporting-MTA is required.
    EXPECT_EQ(blocks[0].fields["reporting-mta"], "dns; mail.sina.com");
    EXPECT_EQ(blocks[0].fields["arrival-date"], "Sat, 18 Jan 2025 10:00:00 +0000");
    // Section 2.4: extension fields begin with X-.
    for (const auto& name : blocks[0].order) {
        if (name != "Reporting-MTA" && name != "Arrival-Date") {
            EXPECT_EQ(name.rfind("X-", 0), 0u) << name;
        }
    }
    // Section 2.3: Final-Recipient, Action and Status are required in each group.
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        EXPECT_EQ(blocks[i].fields.count("final-recipient"), 1u);
        EXPECT_EQ(blocks[i].fields["action"], "failed");
        EXPECT_EQ(blocks[i].fields.count("status"), 1u);
    }
    // Section 2.3.6: the peer's reply is of type smtp, unfolded as given.
    EXPECT_EQ(blocks[1].fields["diagnostic-code"],
              "smtp; 550 5.1.1 <wfisk@bigsky.com>: Recipient address rejected: User unknown in local recipient table");
    // Our own reason is not an SMTP reply: the private X- type.
    EXPECT_EQ(blocks[2].fields["diagnostic-code"].rfind("X-mxlab; connect to", 0), 0u);
    // Section 2.3.5: no Remote-MTA when none took part.
    EXPECT_EQ(blocks[1].fields["remote-mta"], "dns; mail.bigsky.com");
    EXPECT_EQ(blocks[2].fields.count("remote-mta"), 0u);
    // Section 2.3.1: Original-Recipient only when given.
    EXPECT_EQ(blocks[1].fields.count("original-recipient"), 0u);
    EXPECT_EQ(blocks[2].fields["original-recipient"], "rfc822; Lisa.Smith@bigsky.org");

    Entity returned = parse_entity(parts[2]);
    EXPECT_EQ(returned.fields["content-type"], "text/rfc822-headers");
}

// RFC 6522 section 4 (text/rfc822-headers): the header section only; the
// body of the original is never returned.
TEST(Bounce, ReturnsTheHeaderSectionNotTheBody) {
    Bounce b = make(two_failures());
    EXPECT_EQ(b.message.find("never returned"), std::string::npos);
    EXPECT_NE(b.message.find("\r\nMessage-ID: <lab3.42@pc1.sina.com>\r\n\r\n--mxlab-"), std::string::npos);
}

std::string returned_headers(const Bounce& b) {
    Entity top = parse_entity(b.message);
    auto parts = split_parts("\r\n" + top.body, boundary_of(top));
    if (parts.size() != 3) return "<no third part>";
    return parse_entity(parts[2]).body;
}

// RFC 5322 section 2.1: a message may be a header section alone; then all
// of it is returned, and a last line without its line end gets one.
TEST(Bounce, HeaderOnlyOriginalIsReturnedWhole) {
    Bounce b = make(two_failures("From: a@b\r\nSubject: no body"));
    EXPECT_EQ(returned_headers(b), "From: a@b\r\nSubject: no body\r\n");
    b = make(two_failures("From: a@b\r\nSubject: no body\r\n"));
    EXPECT_EQ(returned_headers(b), "From: a@b\r\nSubject: no body\r\n");
    b = make(two_failures(""));
    EXPECT_EQ(returned_headers(b), "");
}

// RFC 5322 section 2.3: bare LF line ends become CRLF and a lone CR a
// space, so that the bounce itself is well formed.
TEST(Bounce, LineEndsOfTheOriginalAreMadeCrlf) {
    Bounce b = make(two_failures("From: a@b\nSubject: x\ry\n\nbody\n"));
    EXPECT_EQ(returned_headers(b), "From: a@b\r\nSubject: x y\r\n");
    expect_wellformed_lines(b.message);
}

// A hostile header section is capped, at a field boundary, so it cannot
// make a huge bounce.
TEST(Bounce, HugeHeaderSectionIsCappedAtAFieldBoundary) {
    std::string big;
    for (int i = 0; i < 3000; ++i) big += "X-Filler-" + std::to_string(i) + ": " + std::string(60, 'a') + "\r\n";
    Bounce b = make(two_failures(big + "\r\nbody\r\n"));
    std::string h = returned_headers(b);
    EXPECT_LE(h.size(), max_returned_headers);
    EXPECT_GT(h.size(), max_returned_headers - 100);
    EXPECT_EQ(big.compare(0, h.size(), h), 0);  // a prefix of the original
    EXPECT_EQ(big.compare(h.size(), 9, "X-Filler-"), 0);  // cut before a field
    EXPECT_LT(b.message.size(), max_returned_headers + 4096);
    expect_wellformed_lines(b.message);
}

// RFC 5322 section 2.2.3: a folded field is one field; the cut drops it
// whole rather than return half of it.
TEST(Bounce, CapDoesNotSplitAFoldedField) {
    std::string big = "Subject: first\r\n";
    big += "X-Long: start\r\n";
    while (big.size() < max_returned_headers + 1000) big += " " + std::string(70, 'c') + "\r\n";
    big += "From: a@b\r\n\r\nbody\r\n";
    Bounce b = make(two_failures(big));
    EXPECT_EQ(returned_headers(b), "Subject: first\r\n");
}

// RFC 2046 section 5.1.1: the boundary must not occur in the enclosed parts;
// a message that quotes the first choice (a bounce of a bounce) moves it on.
TEST(Bounce, BoundaryAvoidsTheContent) {
    std::string quoting = "Subject: mxlab-1A2B3C4D-20250118103000 and mxlab-1A2B3C4D-20250118103000-1\r\n\r\n";
    Bounce b = make(two_failures(quoting));
    Entity top = parse_entity(b.message);
    std::string boundary = boundary_of(top);
    EXPECT_EQ(boundary, "mxlab-1A2B3C4D-20250118103000-2");
    auto parts = split_parts("\r\n" + top.body, boundary);
    ASSERT_EQ(parts.size(), 3u);
    for (const auto& p : parts) EXPECT_EQ(p.find(boundary), std::string::npos);
    EXPECT_EQ(parse_entity(parts[2]).body, "Subject: mxlab-1A2B3C4D-20250118103000 and mxlab-1A2B3C4D-20250118103000-1\r\n");
}

// RFC 5322 sections 2.1.1 and 2.3: every line under 998 octets, CRLF only,
// even for an overlong reply without spaces and an overlong header line.
TEST(Bounce, LinesStayShortAndCrlfEverywhere) {
    const std::string original = "X-Long: " + std::string(3000, 'h') + "\r\nSubject: s\r\n\r\n";
    BounceRequest r = two_failures(original);  // r.original refers to it
    r.recipients[0].diagnostic = "550 " + std::string(5000, 'x') + "\r\n550 second line\n";
    Bounce b = make(r);
    expect_wellformed_lines(b.message);
    // A long header line is folded (RFC 5322 section 2.2.3), not cut; each
    // fold adds a space, as the line has none to fold at.
    std::string h = returned_headers(b);
    std::string unfolded;
    for (std::size_t i = 0; i < h.size(); ++i) {
        if (h.compare(i, 3, "\r\n ") == 0) {
            i += 2;
            continue;
        }
        unfolded += h[i];
    }
    EXPECT_EQ(unfolded, "X-Long: " + std::string(3000, 'h') + "\r\nSubject: s\r\n");
    // The golden case also keeps the text part under 80 columns (section 2.1.1's SHOULD).
    Bounce g = make(two_failures());
    Entity top = parse_entity(g.message);
    auto parts = split_parts("\r\n" + top.body, boundary_of(top));
    ASSERT_EQ(parts.size(), 3u);
    for (const auto& line : lines_of(parts[0])) EXPECT_LT(line.size(), 80u) << line;
    for (const auto& line : lines_of(parts[1])) EXPECT_LE(line.size(), 78u) << line;
}

// A multiline reply is one Diagnostic-Code (RFC 3464 section 2.3.6 *text),
// joined with spaces; a byte >= 0x80 in it becomes '?' so the text and
// status parts stay US-ASCII.
TEST(Bounce, DiagnosticIsOneAsciiLine) {
    BounceRequest r = two_failures();
    r.recipients[0].diagnostic = "550-5.1.1 first\r\n550 5.1.1 Empf\xC3\xA4nger unbekannt";
    Bounce b = make(r);
    EXPECT_NE(b.message.find("Diagnostic-Code: smtp; 550-5.1.1 first 550 5.1.1 Empf??nger unbekannt\r\n"),
              std::string::npos);
    EXPECT_FALSE(b.eight_bit);
}

// RFC 6533: 8-bit header fields (RFC 6532) are returned as they are, as
// message/global-headers with an 8bit encoding (RFC 2045 section 6.2),
// and the caller is told to send with 8BITMIME (RFC 6152).
TEST(Bounce, EightBitHeadersAreGlobalHeaders) {
    Bounce b = make(two_failures("Subject: Gr\xC3\xBC\xC3\x9F" "e\r\nFrom: a@b\r\n\r\nbody\r\n"));
    EXPECT_TRUE(b.eight_bit);
    Entity top = parse_entity(b.message);
    EXPECT_EQ(top.fields["content-transfer-encoding"], "8bit");  // RFC 2045 section 6.4
    auto parts = split_parts("\r\n" + top.body, boundary_of(top));
    ASSERT_EQ(parts.size(), 3u);
    Entity returned = parse_entity(parts[2]);
    EXPECT_EQ(returned.fields["content-type"], "message/global-headers");
    EXPECT_EQ(returned.fields["content-transfer-encoding"], "8bit");
    EXPECT_EQ(returned.body, "Subject: Gr\xC3\xBC\xC3\x9F" "e\r\nFrom: a@b\r\n");
    // The other parts stay US-ASCII.
    EXPECT_EQ(parse_entity(parts[0]).fields["content-type"], "text/plain; charset=us-ascii");
    EXPECT_EQ(parse_entity(parts[1]).fields["content-type"], "message/delivery-status");
}

// RFC 6533 section 3: a UTF-8 recipient address has the address type
// "utf-8", carried in message/global-delivery-status.
TEST(Bounce, Utf8AddressMakesAGlobalReport) {
    BounceRequest r = two_failures();
    r.recipients[0].address = "j\xC3\xBCrgen@bigsky.com";
    Bounce b = make(r);
    EXPECT_TRUE(b.eight_bit);
    Entity top = parse_entity(b.message);
    EXPECT_NE(top.fields["content-type"].find("report-type=global-delivery-status;"), std::string::npos);
    auto parts = split_parts("\r\n" + top.body, boundary_of(top));
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parse_entity(parts[0]).fields["content-type"], "text/plain; charset=utf-8");
    Entity status = parse_entity(parts[1]);
    EXPECT_EQ(status.fields["content-type"], "message/global-delivery-status");
    EXPECT_NE(status.body.find("Final-Recipient: utf-8; j\xC3\xBCrgen@bigsky.com\r\n"), std::string::npos);
    EXPECT_NE(status.body.find("Final-Recipient: rfc822; lsmith@bigsky.org\r\n"), std::string::npos);
}

// RFC 3464 sections 2.3.3 and 2.3.9: a delay warning, with Will-Retry-Until.
TEST(Bounce, DelayedIsAWarning) {
    BounceRequest r = two_failures();
    r.recipients.resize(1);
    r.recipients[0].action = DsnAction::delayed;
    r.recipients[0].status = "4.4.1";
    r.recipients[0].will_retry_until = at(2025, 1, 20, 10, 0, 0);
    Bounce b = make(r);
    EXPECT_NE(b.message.find("\r\nSubject: Delayed Mail (still being retried)\r\n"), std::string::npos);
    EXPECT_NE(b.message.find("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"),
              std::string::npos);
    EXPECT_NE(b.message.find("\r\nAction: delayed\r\nStatus: 4.4.1\r\n"), std::string::npos);
    EXPECT_NE(b.message.find("\r\nWill-Retry-Until: Mon, 20 Jan 2025 10:00:00 +0000\r\n"), std::string::npos);
    EXPECT_EQ(b.message.find("Undelivered Mail"), std::string::npos);
}

// One report may carry both actions (RFC 3464 section 2.3): it is a failure
// report, and the delayed recipient is listed apart.
TEST(Bounce, MixedFailedAndDelayed) {
    BounceRequest r = two_failures();
    r.recipients[1].action = DsnAction::delayed;
    r.recipients[1].status = "4.4.1";
    Bounce b = make(r);
    EXPECT_NE(b.message.find("\r\nSubject: Undelivered Mail Returned to Sender\r\n"), std::string::npos);
    EXPECT_NE(b.message.find("Delivery to the following recipients is still being retried:\r\n\r\n<lsmith@bigsky.org>"),
              std::string::npos);
    EXPECT_NE(b.message.find("\r\nAction: delayed\r\n"), std::string::npos);
    EXPECT_EQ(b.message.find("Will-Retry-Until"), std::string::npos);  // not given
}

// Last-Attempt-Date (RFC 3464 section 2.3.7) defaults to now.
TEST(Bounce, LastAttemptDefaultsToNow) {
    BounceRequest r = two_failures();
    r.recipients.resize(1);
    r.recipients[0].last_attempt.reset();
    Bounce b = make(r);
    EXPECT_NE(b.message.find("\r\nLast-Attempt-Date: Sat, 18 Jan 2025 10:30:00 +0000\r\n"), std::string::npos);
}

// RFC 5321 sections 4.5.5 and 6.1: a message from <> never gets a bounce;
// asking for one is an error value, as are inputs that would break a header.
TEST(Bounce, RejectsWhatCannotBeBounced) {
    BounceRequest r = two_failures();
    r.sender = "";
    EXPECT_EQ(error_of(r), BounceError::null_sender);

    r = two_failures();
    r.recipients.clear();
    EXPECT_EQ(error_of(r), BounceError::no_recipients);

    r = two_failures();
    r.sender = "jack@sina.com>\r\nBcc: victim@x";  // RFC 5322 section 2.2: would start a field
    EXPECT_EQ(error_of(r), BounceError::bad_address);
    r = two_failures();
    r.recipients[0].address = "a\nb@c";
    EXPECT_EQ(error_of(r), BounceError::bad_address);
    r = two_failures();
    r.recipients[0].address = "\xC3(@bad-utf8";
    EXPECT_EQ(error_of(r), BounceError::bad_address);

    r = two_failures();
    r.queue_id = "1A.2B";  // the Message-ID and the boundary are made of it
    EXPECT_EQ(error_of(r), BounceError::bad_name);
    r = two_failures();
    r.queue_id = std::string(33, 'A');
    EXPECT_EQ(error_of(r), BounceError::bad_name);
    r = two_failures();
    r.reporting_mta = "mail.sina.com\r\nX: y";
    EXPECT_EQ(error_of(r), BounceError::bad_name);
    r = two_failures();
    r.recipients[0].remote_mta = "mx bigsky";
    EXPECT_EQ(error_of(r), BounceError::bad_name);

    // RFC 3463 section 3.1: failed is class 5, delayed class 4.
    r = two_failures();
    r.recipients[0].status = "4.1.1";
    EXPECT_EQ(error_of(r), BounceError::bad_status);
    r = two_failures();
    r.recipients[0].action = DsnAction::delayed;
    EXPECT_EQ(error_of(r), BounceError::bad_status);  // still 5.1.1
    for (const char* bad : {"", "5", "5.1", "5.1.", "5..1", "5.1234.1", "5.1.1.1", "5.a.1", "55.1.1"}) {
        r = two_failures();
        r.recipients[0].status = bad;
        EXPECT_EQ(error_of(r), BounceError::bad_status) << bad;
    }
    r = two_failures();
    r.recipients[0].status = "5.123.456";
    EXPECT_TRUE(std::holds_alternative<Bounce>(make_bounce(r)));
}

// RFC 5321 section 4.5.4.1: retries at growing intervals (DESIGN.md section 5).
TEST(Retry, DelayDoublesUpToAnHour) {
    const seconds five_min{300};
    EXPECT_EQ(retry_delay(five_min, 1), seconds{300});
    EXPECT_EQ(retry_delay(five_min, 2), seconds{600});
    EXPECT_EQ(retry_delay(five_min, 3), seconds{1200});
    EXPECT_EQ(retry_delay(five_min, 4), seconds{2400});
    EXPECT_EQ(retry_delay(five_min, 5), seconds{3600});
    EXPECT_EQ(retry_delay(five_min, 6), seconds{3600});
    EXPECT_EQ(retry_delay(five_min, 4000000000u), seconds{3600});
    EXPECT_EQ(retry_delay(five_min, 0), seconds{300});  // counts as the first
    EXPECT_EQ(retry_delay(seconds{30}, 8), seconds{3600});
    EXPECT_EQ(retry_delay(seconds{30}, 7), seconds{1920});
}

TEST(Retry, IntervalIsAFloor) {
    EXPECT_EQ(retry_delay(hours{2}, 1), hours{2});
    EXPECT_EQ(retry_delay(hours{2}, 10), hours{2});
    EXPECT_EQ(retry_delay(seconds{0}, 1), seconds{1});
    EXPECT_EQ(retry_delay(seconds{-5}, 3), seconds{4});
    static_assert(retry_delay(seconds{60}, 2) == seconds{120});
}

TEST(Retry, ExpiresAtTheQueueLifetime) {
    const auto created = at(2025, 1, 18, 10, 0, 0);
    const seconds lifetime = hours{48};
    EXPECT_FALSE(expired(created, created, lifetime));
    EXPECT_FALSE(expired(created, created + lifetime - seconds{1}, lifetime));
    EXPECT_TRUE(expired(created, created + lifetime, lifetime));
    EXPECT_TRUE(expired(created, created + lifetime + hours{1}, lifetime));
    EXPECT_FALSE(expired(created, created - hours{1}, lifetime));  // a clock set back
    // The store's whole-second times convert.
    EXPECT_TRUE(expired(floor<seconds>(created), created + lifetime, lifetime));
}

}  // namespace
}  // namespace mxlab::queue
