// FETCH responses from the stored MIME structure: the items in Dovecot's order, sections of nested messages, partial answers, header filtering, BINARY, and only the bytes a section covers read.
//
// Messages are from tests/unit/codec/corpus. Every expected answer marked
// "Dovecot" is the byte-for-byte answer of Dovecot 2.3.19 (imap in preauth
// mode on a throwaway Maildir holding the same .eml) to the same FETCH.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mail/codec/imap_render.hpp"
#include "mail/codec/mime.hpp"
#include "mail/imap/fetch.hpp"

namespace mxlab::imap {
namespace {

using Kind = FetchItem::Kind;
using Text = Section::Text;

std::string file(const std::string& path) {
    std::ifstream in(std::filesystem::path(MXLAB_SOURCE_DIR) / path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string corpus(const std::string& name) { return file("tests/unit/codec/corpus/" + name); }

// One message as the session would hand it over, with a window onto its
// bytes that counts what it is asked for.
struct Message {
    explicit Message(std::string raw) : bytes(std::move(raw)), structure(codec::parse_mime(bytes)) {
        info.uid = 7;
        info.size = bytes.size();
        info.modseq = 12;
        info.internal_date = std::chrono::sys_days{std::chrono::year{2026} / 12 / 8} + std::chrono::hours{1} +
                             std::chrono::minutes{51} + std::chrono::seconds{4};
    }

    FetchMessage fetch(std::uint32_t msn = 1) {
        FetchMessage m;
        m.msn = msn;
        m.info = &info;
        m.recent = recent;
        m.structure = &structure;
        m.read = [this](std::uint64_t offset, std::uint64_t length) -> store::Result<std::string> {
            if (fail) return store::make_error(store::Errc::io, "disk on fire");
            if (offset > bytes.size()) return std::string();
            bytes_read += std::min<std::uint64_t>(length, bytes.size() - offset);
            return bytes.substr(offset, length);
        };
        return m;
    }

    std::string bytes;
    codec::MessageStructure structure;
    store::MessageInfo info;
    bool recent = false;
    bool fail = false;
    std::uint64_t bytes_read = 0;
};

FetchItem item(Kind k) { return FetchItem{k}; }

FetchItem body(std::vector<std::uint32_t> part, Text text = Text::none, std::vector<std::string> fields = {}) {
    FetchItem it{Kind::body_section};
    it.section.part = std::move(part);
    it.section.text = text;
    it.section.fields = std::move(fields);
    it.peek = true;
    return it;
}

FetchItem partial(FetchItem it, std::uint64_t offset, std::uint64_t length) {
    it.partial = Partial{offset, length};
    return it;
}

FetchItem binary(std::vector<std::uint32_t> part, Kind k = Kind::binary) {
    FetchItem it{k};
    it.section.part = std::move(part);
    it.peek = true;
    return it;
}

// The response as the client sees it, streamed ranges filled in.
std::string render(const std::vector<FetchItem>& items, Message& m, const FetchOptions& options = {},
                   std::uint32_t msn = 1) {
    auto pieces = render_fetch(items, m.fetch(msn), options);
    EXPECT_TRUE(pieces.ok()) << (pieces.ok() ? "" : pieces.error().message);
    if (!pieces) return {};
    std::string out;
    for (const auto& p : *pieces) {
        out += p.text;
        out += m.bytes.substr(p.offset, p.length);
    }
    return out;
}

TEST(Fetch, ShortItemsFirstInTheOrderAskedThenTheRest) {
    Message m(corpus("rfc3501_sections.eml"));
    m.recent = true;
    // Dovecot: "FETCH 1 (BODY.PEEK[1] UID ENVELOPE FLAGS RFC822.SIZE BODY.PEEK[1] FLAGS)"
    EXPECT_EQ(render({body({1}), item(Kind::uid), item(Kind::envelope), item(Kind::flags), item(Kind::rfc822_size),
                      body({1}), item(Kind::flags)},
                     m),
              "* 1 FETCH (UID 7 FLAGS (\\Recent) RFC822.SIZE 983 BODY[1] {3}\r\none ENVELOPE (NIL \"RFC 3501 "
              "section 6.4.5, the example's shape\" ((NIL NIL \"teacher\" \"sina.com\")) ((NIL NIL \"teacher\" "
              "\"sina.com\")) ((NIL NIL \"teacher\" \"sina.com\")) ((NIL NIL \"bob\" \"sina.com\")) NIL NIL NIL "
              "NIL) BODY[1] {3}\r\none)\r\n");
}

TEST(Fetch, UidFetchPutsUidFirstAndImpliedItemsAfterTheShortOnes) {
    Message m(corpus("plain.eml"));
    m.info.flags.system = store::flag_seen;
    // Dovecot: UID FETCH 1 (RFC822.SIZE BODY[1]) with CHANGEDSINCE, \Seen newly set.
    FetchOptions o;
    o.uid = o.modseq = o.flags = true;
    FetchItem text = body({1});
    text.peek = false;
    EXPECT_EQ(render({item(Kind::rfc822_size), partial(text, 0, 4)}, m, o),
              "* 1 FETCH (UID 7 RFC822.SIZE 580 MODSEQ (12) FLAGS (\\Seen) BODY[1]<0> {4}\r\nHi B)\r\n");
    // Asked for, they are where they were asked and not twice.
    EXPECT_EQ(render({item(Kind::flags), item(Kind::modseq), item(Kind::uid)}, m, o),
              "* 1 FETCH (UID 7 FLAGS (\\Seen) MODSEQ (12))\r\n");
}

TEST(Fetch, InternalDateInItsZone) {
    Message m(corpus("plain.eml"));
    EXPECT_EQ(render({item(Kind::internaldate)}, m), "* 1 FETCH (INTERNALDATE \"08-Dec-2026 01:51:04 +0000\")\r\n");
    m.info.zone_minutes = 8 * 60;
    EXPECT_EQ(render({item(Kind::internaldate)}, m), "* 1 FETCH (INTERNALDATE \"08-Dec-2026 09:51:04 +0800\")\r\n");
    m.info.zone_minutes = -(3 * 60 + 30);
    EXPECT_EQ(render({item(Kind::internaldate)}, m), "* 1 FETCH (INTERNALDATE \"07-Dec-2026 22:21:04 -0330\")\r\n");
}

TEST(Fetch, SectionsOfNestedMessages) {
    Message m(corpus("rfc3501_sections.eml"));
    // Dovecot, "FETCH 1 (BODY.PEEK[HEADER.FIELDS (subject to X-NONE)] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT]
    // BODY.PEEK[3.MIME] BODY.PEEK[3.1.MIME] BODY.PEEK[9] BODY.PEEK[3.9] BODY.PEEK[1.1] BODY.PEEK[1.2]
    // BODY.PEEK[2.HEADER])".
    EXPECT_EQ(render({body({}, Text::header_fields, {"subject", "to", "X-NONE"}), body({3}, Text::header),
                      body({3}, Text::text), body({3}, Text::mime), body({3, 1}, Text::mime), body({9}),
                      body({3, 9}), body({1, 1}), body({1, 2}), body({2}, Text::header)},
                     m),
              "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT TO X-NONE)] {74}\r\n"
              "To: bob@sina.com\r\nSubject: RFC 3501 section 6.4.5, the example's shape\r\n\r\n"
              " BODY[3.HEADER] {67}\r\nSubject: three\r\nContent-Type: MULTIPART/MIXED; boundary=\"three\"\r\n\r\n"
              " BODY[3.TEXT] {109}\r\n--three\r\nContent-Type: TEXT/PLAIN\r\n\r\n3.1\r\n--three\r\n"
              "Content-Type: APPLICATION/OCTET-STREAM\r\n\r\n3.2\r\n--three--\r\n"
              " BODY[3.MIME] {32}\r\nContent-Type: MESSAGE/RFC822\r\n\r\n"
              " BODY[3.1.MIME] {28}\r\nContent-Type: TEXT/PLAIN\r\n\r\n"
              " BODY[9] {0}\r\n BODY[3.9] {0}\r\n BODY[1.1] {3}\r\none BODY[1.2] {0}\r\n BODY[2.HEADER] {0}\r\n)\r\n");
    // Dovecot, "FETCH 1 (BODY.PEEK[4.2.HEADER.FIELDS (SUBJECT)] BODY.PEEK[4.2.2.1] BODY.PEEK[4.2.1.MIME]
    // BODY.PEEK[4.2.MIME] BODY.PEEK[4.MIME] BODY.PEEK[4.1.TEXT] BODY.PEEK[4.1.HEADER])".
    EXPECT_EQ(render({body({4, 2}, Text::header_fields, {"SUBJECT"}), body({4, 2, 2, 1}), body({4, 2, 1}, Text::mime),
                      body({4, 2}, Text::mime), body({4}, Text::mime), body({4, 1}, Text::text),
                      body({4, 1}, Text::header)},
                     m),
              "* 1 FETCH (BODY[4.2.HEADER.FIELDS (SUBJECT)] {21}\r\nSubject: four.two\r\n\r\n"
              " BODY[4.2.2.1] {7}\r\n4.2.2.1 BODY[4.2.1.MIME] {28}\r\nContent-Type: TEXT/PLAIN\r\n\r\n"
              " BODY[4.2.MIME] {32}\r\nContent-Type: MESSAGE/RFC822\r\n\r\n"
              " BODY[4.MIME] {50}\r\nContent-Type: MULTIPART/MIXED; boundary=\"four\"\r\n\r\n"
              " BODY[4.1.TEXT] {0}\r\n BODY[4.1.HEADER] {0}\r\n)\r\n");
}

TEST(Fetch, HeaderFieldsNotAndNamesThatAreNoAtoms) {
    Message m(corpus("rfc3501_sections.eml"));
    // Dovecot, "FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (subject to)] BODY.PEEK[HEADER.FIELDS (x-none)]
    // BODY.PEEK[HEADER.FIELDS ("x y" subject)])": no field left is still the blank line.
    EXPECT_EQ(render({body({}, Text::header_fields_not, {"subject", "to"}), body({}, Text::header_fields, {"x-none"}),
                      body({}, Text::header_fields, {"x y", "subject"})},
                     m),
              "* 1 FETCH (BODY[HEADER.FIELDS.NOT (SUBJECT TO)] {73}\r\n"
              "From: teacher@sina.com\r\nContent-Type: MULTIPART/MIXED; boundary=\"top\"\r\n\r\n"
              " BODY[HEADER.FIELDS (X-NONE)] {2}\r\n\r\n"
              " BODY[HEADER.FIELDS (\"X Y\" SUBJECT)] {56}\r\n"
              "Subject: RFC 3501 section 6.4.5, the example's shape\r\n\r\n)\r\n");
}

TEST(Fetch, FoldedFieldsKeepTheirContinuationLines) {
    Message m(corpus("plain.eml"));
    // Dovecot: "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT RECEIVED)])" keeps the header's order.
    EXPECT_EQ(render({body({}, Text::header_fields, {"SUBJECT", "RECEIVED"})}, m),
              "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT RECEIVED)] {163}\r\n"
              "Received: from mail.bigsky.com (mail.bigsky.com [10.0.2.10])\r\n"
              "\tby mail.sina.com with ESMTP id 4f2a; Mon, 7 Dec 2026 10:00:00 +0800\r\n"
              "Subject: Lunch on\r\n Friday?\r\n\r\n)\r\n");
}

TEST(Fetch, FilteredHeaderLinesEndWithCrlf) {
    Message m("From: a@b.c\nSubject: lf\nContent-Type: text/plain\n\nline one\nline two\n");
    // Dovecot: "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])" for the same bytes in its Maildir.
    EXPECT_EQ(render({body({}, Text::header_fields, {"SUBJECT"})}, m),
              "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: lf\r\n\r\n)\r\n");
}

TEST(Fetch, FieldsLongerThanAReadAreFilteredWhole) {
    const std::string big = "X-Big: " + std::string(200'000, 'a') + "\r\n";
    const std::string folded = "Subject: s\r\n" + std::string(100'000, ' ') + "x\r\n";
    Message m(big + folded + "To: t@u.v\r\n\r\nbody\r\n");
    EXPECT_EQ(render({body({}, Text::header_fields, {"SUBJECT"})}, m),
              "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {" + std::to_string(folded.size() + 2) + "}\r\n" + folded +
                  "\r\n)\r\n");
    EXPECT_EQ(render({body({}, Text::header_fields_not, {"SUBJECT"})}, m),
              "* 1 FETCH (BODY[HEADER.FIELDS.NOT (SUBJECT)] {" + std::to_string(big.size() + 13) + "}\r\n" + big +
                  "To: t@u.v\r\n\r\n)\r\n");
}

TEST(Fetch, AMessageShorterThanItsStructureIsAnError) {
    Message m(corpus("plain.eml"));
    m.bytes.resize(m.bytes.size() - 10);
    auto r = render_fetch({body({1})}, m.fetch(), {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.code(), store::Errc::corrupt);
}

TEST(Fetch, PartOneOfAMessageThatIsNotMultipart) {
    Message m(corpus("plain.eml"));
    const std::string header = m.bytes.substr(0, m.structure.parts[0].body_start);
    // Dovecot, "FETCH 2 (BODY.PEEK[1.MIME] BODY.PEEK[1.HEADER] BODY.PEEK[TEXT]<0.10>)": 1.MIME is the
    // message's header, and a text part has no HEADER.
    EXPECT_EQ(render({body({1}, Text::mime), body({1}, Text::header), partial(body({}, Text::text), 0, 10)}, m),
              "* 1 FETCH (BODY[1.MIME] {540}\r\n" + header + " BODY[1.HEADER] {0}\r\n BODY[TEXT]<0> {10}\r\nHi Bob,\r\n\r)\r\n");
}

TEST(Fetch, HeaderWithoutBody) {
    Message m(corpus("header_only.eml"));
    // Dovecot: "FETCH 3 (BODY.PEEK[TEXT] BODY.PEEK[HEADER] BODY.PEEK[1] BODY.PEEK[HEADER.FIELDS (FROM)]
    // RFC822.SIZE)": the filtered header still ends with a blank line.
    EXPECT_EQ(render({body({}, Text::text), body({}, Text::header), body({1}), body({}, Text::header_fields, {"FROM"}),
                      item(Kind::rfc822_size)},
                     m),
              "* 1 FETCH (RFC822.SIZE 58 BODY[TEXT] {0}\r\n BODY[HEADER] {58}\r\n" + m.bytes +
                  " BODY[1] {0}\r\n BODY[HEADER.FIELDS (FROM)] {24}\r\nFrom: alice@sina.com\r\n\r\n)\r\n");
}

TEST(Fetch, PartialPastTheEnd) {
    Message m(corpus("rfc3501_sections.eml"));
    // Dovecot: "FETCH 1 (BODY.PEEK[]<5000.10> BODY.PEEK[]<983.10> BODY.PEEK[]<982.10> BODY.PEEK[1]<3.1>)".
    EXPECT_EQ(render({partial(body({}), 5000, 10), partial(body({}), 983, 10), partial(body({}), 982, 10),
                      partial(body({1}), 3, 1)},
                     m),
              "* 1 FETCH (BODY[]<5000> {0}\r\n BODY[]<983> {0}\r\n BODY[]<982> {1}\r\n\n BODY[1]<3> {0}\r\n)\r\n");
}

TEST(Fetch, Rfc822Items) {
    Message m(corpus("rfc3501_sections.eml"));
    const auto& root = m.structure.parts[0];
    // Dovecot: "FETCH 1 (RFC822.HEADER RFC822.TEXT RFC822)".
    EXPECT_EQ(render({item(Kind::rfc822_header), item(Kind::rfc822_text), item(Kind::rfc822)}, m),
              "* 1 FETCH (RFC822.HEADER {145}\r\n" + m.bytes.substr(0, root.body_start) + " RFC822.TEXT {838}\r\n" +
                  m.bytes.substr(root.body_start) + " RFC822 {983}\r\n" + m.bytes + ")\r\n");
}

TEST(Fetch, NulInABodyLiteralIsSentAs0x80) {
    Message m(corpus("nul_bytes.eml"));
    // Dovecot: "FETCH 4 (BODY.PEEK[] BINARY.PEEK[1])".
    std::string as_sent = m.bytes;
    std::replace(as_sent.begin(), as_sent.end(), '\0', '\x80');
    EXPECT_EQ(render({body({}), binary({1})}, m),
              "* 1 FETCH (BODY[] {83}\r\n" + as_sent + " BINARY[1] ~{19}\r\nnul " + std::string(1, '\0') +
                  " in the body\r\n)\r\n");
}

TEST(Fetch, BinaryDecodesAndSaysSoWithLiteral8) {
    Message m(corpus("rfc3501_sections.eml"));
    // Dovecot: "FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[4.1]<1.3> BINARY.PEEK[3] BINARY.SIZE[3]
    // BINARY.PEEK[9] BINARY.SIZE[9] BINARY.PEEK[1])": base64 decoded, a message part as it is.
    const auto& p3 = m.structure.parts[*codec::find_section(m.structure, {3})];
    EXPECT_EQ(render({binary({2}), binary({2}, Kind::binary_size), partial(binary({4, 1}), 1, 3), binary({3}),
                      binary({3}, Kind::binary_size), binary({9}), binary({9}, Kind::binary_size), binary({1})},
                     m),
              "* 1 FETCH (BINARY[2] ~{3}\r\ntwo BINARY.SIZE[2] 3 BINARY[4.1]<1> ~{3}\r\nIF8 BINARY[3] {176}\r\n" +
                  m.bytes.substr(p3.body_start, p3.end - p3.body_start) +
                  " BINARY.SIZE[3] 176 BINARY[9] {0}\r\n BINARY.SIZE[9] 0 BINARY[1] {3}\r\none)\r\n");

    Message alt(corpus("alternative.eml"));
    // Dovecot: "FETCH 5 (BINARY.PEEK[1] BINARY.SIZE[1] BODY.PEEK[1])": quoted-printable.
    EXPECT_EQ(render({binary({1}), binary({1}, Kind::binary_size), body({1})}, alt),
              "* 1 FETCH (BINARY[1] ~{41}\r\nThe report is attached.\r\nRegards, Alice\r\n BINARY.SIZE[1] 41 "
              "BODY[1] {43}\r\nThe report is attached=2E\r\nRegards, Alice\r\n)\r\n");
}

TEST(Fetch, BinaryOfAWholeMessageOrAMultipartDecodesEachPart) {
    // fetch/binary_dovecot.txt is Dovecot's answer to these four FETCHes,
    // the four messages in one Maildir: each decoded part's header says
    // "binary" instead of its encoding, the other parts are as they were; a
    // base64 message/rfc822 is not decoded. (Dovecot's BINARY.SIZE[1] of that
    // last one is 0, not the 26 bytes its BINARY[1] sends; here it is 26.)
    Message b64(file("tests/unit/imap/fetch/base64_message.eml"));
    Message mixed(corpus("mixed_attachments.eml"));
    Message sections(corpus("rfc3501_sections.eml"));
    Message encoded(corpus("encoded_rfc822.eml"));
    const std::string ours = render({binary({})}, b64, {}, 1) +
                             render({binary({}), binary({1}, Kind::binary_size)}, mixed, {}, 2) +
                             render({binary({}), binary({4})}, sections, {}, 3) +
                             render({binary({1})}, encoded, {}, 4);
    EXPECT_EQ(ours, file("tests/unit/imap/fetch/binary_dovecot.txt"));
}

const std::string cte_message =
    "From: a@b.c\r\nSubject: cte\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n"
    "--b--\r\n";

TEST(Fetch, BinaryOfAnUnknownEncodingIsAnErrorOfItsOwn) {
    Message m(cte_message);
    // Dovecot: "FETCH 2 (BINARY.PEEK[2])" is a plain literal (8bit, no NUL), "FETCH 2 (BINARY.PEEK[1])"
    // and BINARY.SIZE[1] answer "NO [UNKNOWN-CTE]"; BODY[1] is as usual.
    EXPECT_EQ(render({binary({2}), body({1})}, m), "* 1 FETCH (BINARY[2] {5}\r\ncaf\xc3\xa9 BODY[1] {11}\r\nbegin 644 x)\r\n");
    for (Kind k : {Kind::binary, Kind::binary_size}) {
        auto r = render_fetch({binary({1}, k)}, m.fetch(), {});
        ASSERT_FALSE(r.ok());
        EXPECT_TRUE(is_unknown_cte(r.error()));
    }
    m.fail = true;
    auto r = render_fetch({body({1})}, m.fetch(), {});
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(is_unknown_cte(r.error()));
    EXPECT_EQ(r.code(), store::Errc::io);
}

// A message with a small first part and a big second one.
std::string big_message(std::size_t size) {
    std::string m = "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nsmall\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n";
    for (std::size_t i = 0; i < size / 64; ++i) m += std::string(62, 'a' + i % 26) + "\r\n";
    return m + "--b--\r\n";
}

TEST(Fetch, ReadsOnlyTheBytesOfTheSectionAndLeavesBigOnesToStream) {
    Message m(big_message(1 << 20));
    const auto& p2 = m.structure.parts[*codec::find_section(m.structure, {2})];
    const std::uint64_t size = p2.end - p2.body_start;
    ASSERT_GT(size, 1000u * 1000u);

    auto pieces = render_fetch({body({2})}, m.fetch(), {});
    ASSERT_TRUE(pieces.ok());
    ASSERT_EQ(pieces->size(), 2u);
    EXPECT_EQ((*pieces)[0].text, "* 1 FETCH (BODY[2] {" + std::to_string(size) + "}\r\n");
    EXPECT_EQ((*pieces)[0].offset, p2.body_start);
    EXPECT_EQ((*pieces)[0].length, size);
    EXPECT_EQ((*pieces)[1].text, ")\r\n");
    EXPECT_EQ((*pieces)[1].length, 0u);
    EXPECT_EQ(m.bytes_read, 0u);  // streamed, so not read here

    FetchOptions whole;
    whole.inline_limit = 2 << 20;
    EXPECT_EQ(render({body({2})}, m, whole),
              "* 1 FETCH (BODY[2] {" + std::to_string(size) + "}\r\n" + m.bytes.substr(p2.body_start, size) + ")\r\n");
    EXPECT_EQ(m.bytes_read, size);

    m.bytes_read = 0;
    EXPECT_EQ(render({body({1}), partial(body({2}), 62, 4), body({2}, Text::mime)}, m),
              "* 1 FETCH (BODY[1] {5}\r\nsmall BODY[2]<62> {4}\r\n\r\nbb BODY[2.MIME] {42}\r\n"
              "Content-Type: application/octet-stream\r\n\r\n)\r\n");
    EXPECT_EQ(m.bytes_read, 5u + 4u + 42u);

    m.bytes_read = 0;
    (void)render({body({}, Text::header_fields, {"From"})}, m);
    EXPECT_EQ(m.bytes_read, m.structure.parts[0].body_start);

    // A partial window of a big section that is small is read and sent inline.
    m.bytes_read = 0;
    EXPECT_EQ(render({partial(body({}), 0, 11)}, m), "* 1 FETCH (BODY[]<0> {11}\r\nFrom: a@b.c)\r\n");
    EXPECT_EQ(m.bytes_read, 11u);
}

TEST(Fetch, StructureItems) {
    Message m(corpus("rfc3501_sections.eml"));
    EXPECT_EQ(render({item(Kind::bodystructure), item(Kind::body)}, m),
              "* 1 FETCH (BODYSTRUCTURE " + codec::render_bodystructure(m.structure, true) + " BODY " +
                  codec::render_bodystructure(m.structure, false) + ")\r\n");
    EXPECT_EQ(m.bytes_read, 0u);
}

TEST(Fetch, WhatTheItemsNeed) {
    const std::vector<FetchItem> flags{item(Kind::flags), item(Kind::uid), item(Kind::rfc822_size)};
    EXPECT_FALSE(needs_structure(flags));
    EXPECT_FALSE(needs_bytes(flags));
    EXPECT_FALSE(sets_seen(flags));
    EXPECT_TRUE(needs_structure({item(Kind::envelope)}));
    EXPECT_FALSE(needs_bytes({item(Kind::envelope)}));
    EXPECT_FALSE(needs_structure({body({})}));  // BODY[] is the whole message
    EXPECT_TRUE(needs_bytes({body({})}));
    EXPECT_TRUE(needs_structure({body({}, Text::header)}));
    EXPECT_FALSE(sets_seen({body({1}), binary({1}), item(Kind::rfc822_header), binary({1}, Kind::binary_size)}));
    FetchItem seen = body({1});
    seen.peek = false;
    EXPECT_TRUE(sets_seen({seen}));
    EXPECT_TRUE(sets_seen({item(Kind::rfc822)}));
    EXPECT_TRUE(sets_seen({item(Kind::rfc822_text)}));
}

}  // namespace
}  // namespace mxlab::imap
