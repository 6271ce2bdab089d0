// SEARCH keys on one message (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162 MODSEQ): each key against a message it matches and one it does not, with corpus messages and Chinese mail in GB2312, base64 and quoted-printable.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "mail/imap/search.hpp"

namespace mxlab::imap {
namespace {

using Kind = SearchKey::Kind;
using namespace std::chrono;

SearchKey key(Kind kind) {
    SearchKey k;
    k.kind = kind;
    return k;
}

SearchKey text(Kind kind, std::string s) {
    SearchKey k = key(kind);
    k.text = std::move(s);
    return k;
}

SearchKey header(std::string field, std::string s) {
    SearchKey k = text(Kind::header, std::move(s));
    k.field = std::move(field);
    return k;
}

SearchKey date(Kind kind, int y, unsigned m, unsigned d) {
    SearchKey k = key(kind);
    k.date = sys_days(year(y) / month(m) / day(d));
    return k;
}

SearchKey number(Kind kind, std::uint64_t n) {
    SearchKey k = key(kind);
    k.number = n;
    return k;
}

SearchKey set(Kind kind, std::vector<SeqRange> ranges, bool saved = false) {
    SearchKey k = key(kind);
    k.set.ranges = std::move(ranges);
    k.set.saved = saved;
    return k;
}

SearchKey all_of(std::vector<SearchKey> children) {
    SearchKey k = key(Kind::and_);
    k.children = std::move(children);
    return k;
}

SearchKey either(SearchKey a, SearchKey b) {
    SearchKey k = key(Kind::or_);
    k.children = {std::move(a), std::move(b)};
    return k;
}

SearchKey negated(SearchKey a) {
    SearchKey k = key(Kind::not_);
    k.children = {std::move(a)};
    return k;
}

std::string corpus(const std::string& name) {
    std::ifstream in(std::string(MXLAB_SOURCE_DIR) + "/tests/unit/codec/corpus/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    EXPECT_FALSE(s.str().empty()) << name;
    return s.str();
}

// A message as the session hands it: its bytes, structure and index entry.
struct Message {
    explicit Message(std::string b, std::uint32_t msn_ = 1) : bytes(std::move(b)), structure(codec::parse_mime(bytes)), msn(msn_) {
        info.uid = 10 * msn;
        info.size = bytes.size();
    }

    // Everything given, as the session gives it when the key needs it.
    bool operator()(const SearchKey& k, const SearchScope& scope = {}) const {
        return matches(k, SearchMessage{msn, &info, recent, &structure, bytes}, scope);
    }
    // Only what needs_structure() and needs_text() ask for: the key must not need more.
    bool lean(const SearchKey& k, const SearchScope& scope = {}) const {
        return matches(k,
                       SearchMessage{msn, &info, recent, needs_structure(k) ? &structure : nullptr,
                                     needs_text(k) ? std::string_view(bytes) : std::string_view()},
                       scope);
    }

    std::string bytes;
    codec::MessageStructure structure;
    store::MessageInfo info;
    std::uint32_t msn = 1;
    bool recent = false;
};

// Each key on a message it matches and one it does not, with only what the key says it needs.
void expect_only_first(const SearchKey& k, const Message& yes, const Message& no, const SearchScope& scope = {}) {
    EXPECT_TRUE(yes(k, scope));
    EXPECT_FALSE(no(k, scope));
    EXPECT_TRUE(yes.lean(k, scope));
    EXPECT_FALSE(no.lean(k, scope));
}

const std::string kGb2312 =
    "From: =?gb2312?B?zfXAz8qm?= <wang@sina.com>\r\n"
    "To: students@sina.com\r\n"
    "Subject: =?gb2312?B?u+HS6c2o1qo=?=\r\n"
    "Date: Tue, 8 Dec 2026 01:30:00 +0800\r\n"
    "Content-Type: text/plain; charset=gb2312\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "zazRp8PHusOjrMP3zOzJz87nvsW147+8ytShowo=\r\n";

const std::string kBase64Utf8 =
    "From: Li Lei <lilei@sina.com>\r\n"
    "Subject: hello\r\n"
    "Date: Mon, 7 Dec 2026 23:30:00 -0500\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "5L2g5aW977yM5LiW55WM44CC5piO5aSp6KeB77yBDQo=\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IGluIGFuIGF0dGFjaG1lbnQ=\r\n"
    "--b--\r\n";

const std::string kQuotedPrintable =
    "From: Han Meimei <hmm@sina.com>\r\n"
    "Subject: minutes\r\n"
    "X-Priority: 3\r\n"
    "X-Empty:\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "The meeting is moved to Thurs=\r\n"
    "day afternoon, room =E4=B8=89=E5=8F=B7.\r\n";

TEST(Search, FlagKeys) {
    Message m(corpus("plain.eml")), none(corpus("plain.eml"));
    m.info.flags.system = store::flag_seen | store::flag_answered | store::flag_flagged | store::flag_deleted | store::flag_draft;
    for (const Kind k : {Kind::seen, Kind::answered, Kind::flagged, Kind::deleted, Kind::draft}) expect_only_first(key(k), m, none);
    for (const Kind k : {Kind::unseen, Kind::unanswered, Kind::unflagged, Kind::undeleted, Kind::undraft}) expect_only_first(key(k), none, m);
    EXPECT_TRUE(m(key(Kind::all)));
    EXPECT_TRUE(Message("")(key(Kind::all)));
    // A message handed over without its index entry has no flags.
    EXPECT_TRUE(matches(key(Kind::unseen), SearchMessage{.msn = 1}, {}));
    EXPECT_FALSE(matches(key(Kind::seen), SearchMessage{.msn = 1}, {}));
}

TEST(Search, RecentNewOld) {
    Message recent_unseen(corpus("plain.eml")), recent_seen(corpus("plain.eml")), old(corpus("plain.eml"));
    recent_unseen.recent = recent_seen.recent = true;
    recent_seen.info.flags.system = store::flag_seen;
    expect_only_first(key(Kind::recent), recent_seen, old);
    expect_only_first(key(Kind::old), old, recent_seen);
    // NEW is RECENT UNSEEN (RFC 3501 6.4.4).
    expect_only_first(key(Kind::new_), recent_unseen, recent_seen);
    EXPECT_FALSE(old(key(Kind::new_)));
}

TEST(Search, Keywords) {
    Message tagged(corpus("plain.eml")), plain(corpus("plain.eml"));
    tagged.info.flags.keywords = {"$Forwarded", "work"};
    expect_only_first(text(Kind::keyword, "work"), tagged, plain);
    expect_only_first(text(Kind::keyword, "$forwarded"), tagged, plain);  // flag names are case-insensitive
    expect_only_first(text(Kind::unkeyword, "work"), plain, tagged);
    EXPECT_FALSE(tagged(text(Kind::keyword, "wor")));  // a whole keyword, not a substring
}

TEST(Search, InternalDateIsTheDayWhereItWasRecorded) {
    // 20:00 UTC on 7 December is 04:00 on 8 December at +0800: the day is the 8th.
    Message m(corpus("plain.eml")), earlier(corpus("plain.eml"));
    m.info.internal_date = sys_days(2026y / 12 / 7) + 20h;
    m.info.zone_minutes = 480;
    earlier.info.internal_date = sys_days(2026y / 12 / 7) + 12h;
    expect_only_first(date(Kind::on, 2026, 12, 8), m, earlier);
    expect_only_first(date(Kind::on, 2026, 12, 7), earlier, m);
    expect_only_first(date(Kind::since, 2026, 12, 8), m, earlier);
    expect_only_first(date(Kind::before, 2026, 12, 8), earlier, m);
    EXPECT_TRUE(m(date(Kind::since, 2026, 12, 1)));    // SINCE includes the day itself and later ones
    EXPECT_FALSE(m(date(Kind::before, 2026, 12, 8)));  // BEFORE does not include the day
}

TEST(Search, SentDatesUseTheDateFieldInItsOwnZone) {
    // "Tue, 8 Dec 2026 01:30:00 +0800" is 7 December in UTC, but sent on the 8th.
    const Message eighth(kGb2312), seventh(corpus("plain.eml"));  // Mon, 7 Dec 2026 10:00:00 +0800
    expect_only_first(date(Kind::senton, 2026, 12, 8), eighth, seventh);
    expect_only_first(date(Kind::senton, 2026, 12, 7), seventh, eighth);
    expect_only_first(date(Kind::sentsince, 2026, 12, 8), eighth, seventh);
    expect_only_first(date(Kind::sentbefore, 2026, 12, 8), seventh, eighth);
    // 23:30 at -0500 on the 7th is the 8th in UTC, and still the 7th.
    EXPECT_TRUE(Message(kBase64Utf8)(date(Kind::senton, 2026, 12, 7)));
    // A message without a Date field, or with one that says no date, was
    // sent on 1 January 1970, as Dovecot answers.
    const Message undated(kQuotedPrintable), garbled("Date: someday\r\n\r\nx\r\n");
    for (const Message* m : {&undated, &garbled}) {
        EXPECT_TRUE((*m)(date(Kind::sentbefore, 2026, 12, 8)));
        EXPECT_TRUE((*m)(date(Kind::senton, 1970, 1, 1)));
        EXPECT_FALSE((*m)(date(Kind::sentsince, 1970, 1, 2)));
        EXPECT_FALSE(m->lean(date(Kind::sentsince, 2026, 12, 8)));
    }
    EXPECT_FALSE(seventh(date(Kind::senton, 1970, 1, 1)));
}

TEST(Search, SentDatesReadLeniently) {
    const auto senton = [](const std::string& field, int y, unsigned m, unsigned d) {
        return Message("Date: " + field + "\r\n\r\nx\r\n")(date(Kind::senton, y, m, d));
    };
    EXPECT_TRUE(senton("8 Dec 2026 10:00 +0000", 2026, 12, 8));         // no day of the week, no seconds
    EXPECT_TRUE(senton("Tue,  8 DEC 2026 10:00:00 GMT", 2026, 12, 8));  // obsolete zone name, upper case
    EXPECT_TRUE(senton("(sent) Tue, 08 Dec 2026 10:00:00 +0000 (CST)", 2026, 12, 8));
    EXPECT_TRUE(senton("Wed, 1 Jan 97 00:00:00 +0000", 1997, 1, 1));  // RFC 5322 4.3: two-digit years
    EXPECT_TRUE(senton("Sat, 1 Jan 05 00:00:00 +0000", 2005, 1, 1));
    EXPECT_TRUE(senton("Thu,\r\n 31 Dec 2026\r\n 23:59:59 -1200", 2026, 12, 31));  // folded
    EXPECT_TRUE(senton("Tue, 31 Feb 2026 10:00:00 +0000", 1970, 1, 1));  // no such day: no date
    EXPECT_TRUE(senton("Tue, 8 Dez 2026 10:00:00 +0000", 1970, 1, 1));
    EXPECT_TRUE(senton("Tue, 8 Dec 2026", 1970, 1, 1));  // no time: no date, as Dovecot
    EXPECT_TRUE(senton("Tue, 8 Dec 2026 25:00:00 +0000", 1970, 1, 1));
    EXPECT_TRUE(senton("Tue, 8-Dec-2026 10:00:00 +0000", 1970, 1, 1));
    EXPECT_TRUE(senton("Tue, 8 Dec 2026 9:05:60", 2026, 12, 8));  // a leap second, no zone
}

TEST(Search, Sizes) {
    Message big(corpus("plain.eml")), small(corpus("plain.eml"));
    big.info.size = 5000;
    small.info.size = 100;
    expect_only_first(number(Kind::larger, 4999), big, small);
    expect_only_first(number(Kind::smaller, 101), small, big);
    EXPECT_FALSE(big(number(Kind::larger, 5000)));  // strictly larger
    EXPECT_FALSE(small(number(Kind::smaller, 100)));
}

TEST(Search, ModSeqIsEqualOrGreater) {
    Message changed(corpus("plain.eml")), unchanged(corpus("plain.eml"));
    changed.info.modseq = 90;
    unchanged.info.modseq = 89;
    expect_only_first(number(Kind::modseq, 90), changed, unchanged);
}

TEST(Search, SequenceSetsWithStar) {
    const Message third(corpus("plain.eml"), 3), fifth(corpus("plain.eml"), 5);
    const SearchScope scope{.exists = 5, .last_uid = 50, .saved = {}};
    expect_only_first(set(Kind::sequence, {{2, 4}}), third, fifth, scope);
    expect_only_first(set(Kind::sequence, {{1, 1}, {star, star}}), fifth, third, scope);  // "1,*"
    expect_only_first(set(Kind::sequence, {{star, 4}}), fifth, third, scope);  // "*:4" is 4:5
    expect_only_first(set(Kind::sequence, {{4, 2}}), third, fifth, scope);     // "4:2" is 2:4
}

TEST(Search, UidSetsWithStar) {
    const Message uid30(corpus("plain.eml"), 3), uid50(corpus("plain.eml"), 5);
    const SearchScope scope{.exists = 5, .last_uid = 50, .saved = {}};
    expect_only_first(set(Kind::uid, {{25, 35}}), uid30, uid50, scope);
    expect_only_first(set(Kind::uid, {{star, star}}), uid50, uid30, scope);
    // "100:*" when 50 is the highest UID is 50:100 (RFC 9051 6.4.8): the last message.
    expect_only_first(set(Kind::uid, {{100, star}}), uid50, uid30, scope);
    // Message numbers are not UIDs.
    EXPECT_FALSE(uid30(set(Kind::uid, {{3, 3}}), scope));
}

TEST(Search, SavedResultIsByUid) {
    const Message uid30(corpus("plain.eml"), 3), uid50(corpus("plain.eml"), 5);
    const SearchScope scope{.exists = 5, .last_uid = 50, .saved = {10, 30, 40}};
    expect_only_first(set(Kind::sequence, {}, true), uid30, uid50, scope);
    expect_only_first(set(Kind::uid, {}, true), uid30, uid50, scope);
    EXPECT_FALSE(uid30(set(Kind::uid, {}, true), SearchScope{}));  // nothing saved: "$" is empty
}

TEST(Search, AndOrNotNest) {
    Message seen_flagged(corpus("plain.eml")), seen(corpus("plain.eml")), none(corpus("plain.eml"));
    seen_flagged.info.flags.system = store::flag_seen | store::flag_flagged;
    seen.info.flags.system = store::flag_seen;
    expect_only_first(all_of({key(Kind::seen), key(Kind::flagged)}), seen_flagged, seen);
    expect_only_first(either(key(Kind::flagged), key(Kind::answered)), seen_flagged, seen);
    expect_only_first(negated(key(Kind::seen)), none, seen);
    // (SEEN NOT FLAGGED) OR ANSWERED ... nested: seen but not flagged.
    const SearchKey nested = all_of({either(all_of({key(Kind::seen), negated(key(Kind::flagged))}), key(Kind::answered)),
                                     negated(negated(key(Kind::all)))});
    expect_only_first(nested, seen, seen_flagged);
    expect_only_first(all_of({key(Kind::seen), text(Kind::subject, "lunch")}), seen, none);
    expect_only_first(either(text(Kind::subject, "nothing"), text(Kind::body, "noon")), seen, Message(kGb2312));
    EXPECT_TRUE(Message("")(all_of({})));  // an empty AND is true for every message
}

TEST(Search, HeaderKeysOnUnfoldedFields) {
    const Message plain(corpus("plain.eml")), other(corpus("alternative.eml"));
    expect_only_first(text(Kind::from, "wfisk@BIGSKY"), plain, other);
    expect_only_first(text(Kind::from, "will fisk"), plain, other);
    expect_only_first(text(Kind::to, "bob li"), plain, other);
    expect_only_first(text(Kind::cc, "CAROL@sina"), plain, other);
    expect_only_first(text(Kind::subject, "Lunch on Friday?"), plain, other);  // folded over two lines
    expect_only_first(text(Kind::subject, "weekly"), other, plain);
    expect_only_first(header("In-Reply-To", "abc@sina"), plain, other);
    expect_only_first(header("message-id", "4F2A@bigsky"), plain, other);
    // The body and other fields are not the field asked for.
    EXPECT_FALSE(plain(text(Kind::subject, "Will")));
    EXPECT_FALSE(plain(text(Kind::from, "noon")));
}

TEST(Search, BccAndHeaderWithAnEmptyString) {
    const Message bcc("Bcc: secret@sina.com\r\nSubject: x\r\n\r\nbody\r\n"), qp(kQuotedPrintable);
    expect_only_first(text(Kind::bcc, "secret"), bcc, qp);
    // HEADER name "" matches every message that has the field, empty or not (RFC 9051 6.4.4).
    expect_only_first(header("X-Priority", ""), qp, bcc);
    expect_only_first(header("X-Empty", ""), qp, bcc);
    expect_only_first(header("x-priority", "3"), qp, bcc);
    EXPECT_FALSE(qp(header("X-Empty", "a")));
}

TEST(Search, HeaderFieldsAreRfc2047Decoded) {
    const Message gb(kGb2312), corpus_gb(corpus("chinese_gb2312.eml")), plain(corpus("plain.eml"));
    expect_only_first(text(Kind::subject, "会议"), gb, plain);
    expect_only_first(text(Kind::from, "王老师"), gb, plain);
    expect_only_first(text(Kind::from, "王老师 <wang@"), gb, plain);
    // Adjacent encoded words on a folded line join (RFC 2047 6.2): "期末考试" "通知".
    expect_only_first(text(Kind::subject, "考试通知"), corpus_gb, gb);
    EXPECT_FALSE(gb(text(Kind::subject, "u+HS6c2o1qo")));  // the encoded form is not the text
}

TEST(Search, BodyOfBase64Gb2312) {
    const Message gb(kGb2312), corpus_gb(corpus("chinese_gb2312.eml")), plain(corpus("plain.eml"));
    expect_only_first(text(Kind::body, "明天上午九点"), gb, plain);
    expect_only_first(text(Kind::body, "考试。"), corpus_gb, plain);
    EXPECT_FALSE(gb(text(Kind::body, "会议")));  // the subject is not the body
}

TEST(Search, BodyOfBase64Utf8TextPartsOnly) {
    const Message m(kBase64Utf8), plain(corpus("plain.eml"));
    expect_only_first(text(Kind::body, "世界。明天见"), m, plain);
    EXPECT_FALSE(m(text(Kind::body, "5L2g5aW9")));  // the encoded text is not searched
    // An attachment that is not text is not searched (as Dovecot).
    EXPECT_FALSE(m(text(Kind::body, "secret")));
}

TEST(Search, BodyOfQuotedPrintableWithSoftBreaks) {
    const Message qp(kQuotedPrintable), alternative(corpus("alternative.eml")), plain(corpus("plain.eml"));
    expect_only_first(text(Kind::body, "moved to thursday"), qp, plain);  // across the soft line break
    expect_only_first(text(Kind::body, "room 三号."), qp, plain);
    expect_only_first(text(Kind::body, "attached."), alternative, plain);  // "attached=2E"
    EXPECT_FALSE(qp(text(Kind::body, "Thurs=")));
}

TEST(Search, BodyInEmbeddedMessagesAndEveryPart) {
    const Message nested(corpus("nested_rfc822.eml")), plain(corpus("plain.eml")), mixed(corpus("mixed_attachments.eml"));
    expect_only_first(text(Kind::body, "Forwarding Alice"), nested, plain);
    expect_only_first(text(Kind::body, "<p>The report.</p>"), nested, plain);  // the embedded message's HTML part
    expect_only_first(text(Kind::body, "The photo:"), mixed, plain);            // inside multipart/related
    // BODY is not the header, of the message or of the embedded one.
    EXPECT_FALSE(nested(text(Kind::body, "Fwd: Weekly")));
    EXPECT_FALSE(nested(text(Kind::body, "Weekly report")));
}

TEST(Search, TextIsHeaderAndBody) {
    const Message qp(kQuotedPrintable), gb(kGb2312);
    expect_only_first(text(Kind::text, "thursday"), qp, gb);
    expect_only_first(text(Kind::text, "Han Meimei"), qp, gb);
    expect_only_first(text(Kind::text, "subject: minutes"), qp, gb);  // the field's name too
    expect_only_first(text(Kind::text, "会议通知"), gb, qp);           // decoded header
    expect_only_first(text(Kind::text, "九点"), gb, qp);               // decoded body
    // The headers of the parts and of embedded messages too, as Dovecot.
    const Message nested(corpus("nested_rfc822.eml")), mixed(corpus("mixed_attachments.eml"));
    expect_only_first(text(Kind::text, "Content-Disposition: inline"), nested, qp);  // a part's header
    expect_only_first(text(Kind::text, "r1@sina.com"), nested, mixed);               // the embedded message's
    expect_only_first(text(Kind::text, "filename=\"photo.png"), mixed, nested);
    EXPECT_FALSE(nested(header("Message-ID", "r1@sina.com")));  // HEADER is the message's own header only
    EXPECT_FALSE(nested(text(Kind::body, "r1@sina.com")));
    EXPECT_TRUE(gb(text(Kind::text, "")));
    EXPECT_TRUE(Message("")(text(Kind::body, "")));  // "" is in every message
}

TEST(Search, CorpusMessagesSearchWithoutSurprises) {
    // Every corpus message: its own subject found as the field and as TEXT, a string it lacks found nowhere.
    const std::vector<std::pair<std::string, std::string>> subjects = {
        {"plain.eml", "Friday?"}, {"alternative.eml", "Weekly report"},     {"mixed_attachments.eml", "Slides and"},
        {"chinese_gb2312.eml", "期末"}, {"nested_rfc822.eml", "Fwd: Weekly"}, {"encoded_rfc822.eml", "not allowed"},
    };
    for (const auto& [file, subject] : subjects) {
        const Message m(corpus(file));
        EXPECT_TRUE(m.lean(text(Kind::subject, subject))) << file;
        EXPECT_TRUE(m.lean(text(Kind::text, subject))) << file;
        EXPECT_FALSE(m.lean(text(Kind::text, "zebra crossing"))) << file;
        EXPECT_FALSE(m.lean(text(Kind::body, subject))) << file;
    }
}

TEST(Search, WhatTheKeysNeed) {
    EXPECT_FALSE(needs_text(all_of({key(Kind::seen), set(Kind::uid, {{1, 2}}), date(Kind::since, 2026, 1, 1)})));
    EXPECT_FALSE(needs_structure(all_of({key(Kind::seen), number(Kind::larger, 3), key(Kind::new_)})));
    EXPECT_TRUE(needs_structure(date(Kind::sentbefore, 2026, 1, 1)));
    for (const Kind k : {Kind::from, Kind::to, Kind::cc, Kind::bcc, Kind::subject, Kind::body, Kind::text}) {
        EXPECT_TRUE(needs_text(negated(either(key(Kind::seen), text(k, "x")))));
        EXPECT_TRUE(needs_structure(text(k, "x")));
    }
    EXPECT_TRUE(needs_text(header("X-A", "")));
}

TEST(Search, Charsets) {
    EXPECT_TRUE(known_charset(""));
    EXPECT_TRUE(known_charset("US-ASCII"));
    EXPECT_TRUE(known_charset("utf-8"));
    EXPECT_TRUE(known_charset("GB2312"));
    EXPECT_TRUE(known_charset("big5"));
    EXPECT_TRUE(known_charset("ISO-8859-1"));
    EXPECT_FALSE(known_charset("x-no-such-charset"));
    EXPECT_FALSE(known_charset("UTF-8//TRANSLIT"));
    // SEARCH CHARSET GB2312 SUBJECT <bytes in GB2312>: the strings become UTF-8, flags stay.
    const SearchKey asked = all_of({text(Kind::subject, "\xBB\xE1\xD2\xE9"), text(Kind::keyword, "work"),
                                    negated(text(Kind::body, "\xCD\xA8\xD6\xAA"))});
    const SearchKey converted = to_utf8(asked, "gb2312");
    EXPECT_EQ(converted.children[0].text, "会议");
    EXPECT_EQ(converted.children[1].text, "work");
    EXPECT_EQ(converted.children[2].children[0].text, "通知");
    EXPECT_TRUE(Message(kGb2312)(converted.children[0]));
    EXPECT_EQ(to_utf8(asked, "utf-8").children[1], asked.children[1]);
}

TEST(Search, CaseFoldingIsAsciiOnly) {
    const Message m("Subject: Ünïcode CAFÉ\r\n\r\nx\r\n");
    EXPECT_TRUE(m(text(Kind::subject, "Ünïcode cafÉ")));  // only the ASCII letters fold
    EXPECT_FALSE(m(text(Kind::subject, "ünïcode café")));
    EXPECT_FALSE(m(text(Kind::subject, "ÜNÏCODE")));
}

TEST(Search, SubstringsThatRestartMidMatch) {
    // A naive search that skips ahead after a partial match misses these.
    const Message m("Subject: aaab abab aabaabaaab\r\n\r\nxxyxxyxxz\r\n");
    EXPECT_TRUE(m(text(Kind::subject, "aab")));
    EXPECT_TRUE(m(text(Kind::subject, "aabaaab")));
    EXPECT_TRUE(m(text(Kind::body, "xxyxxz")));
    EXPECT_FALSE(m(text(Kind::body, "xxyxxyxxyx")));
}

// A body over many decoding pieces, matches across the pieces' edges, in
// GB18030 too (cut only between characters), and memory kept to the pieces.
TEST(Search, BigPartsAreSearchedInPieces) {
    std::string gb_line;  // "考试" in GB2312, many times, then a line break
    for (int i = 0; i < 40; ++i) gb_line += "\xBF\xBC\xCA\xD4";
    gb_line += "\n";
    std::string gb_body;
    while (gb_body.size() < 3 * 1024 * 1024) gb_body += gb_line;
    gb_body += "\xC4\xA9\xCE\xB2";  // "末尾" at the very end
    const Message gb("Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + gb_body);
    EXPECT_TRUE(gb(text(Kind::body, "末尾")));
    EXPECT_TRUE(gb(text(Kind::body, "考试考试\n考试")));
    EXPECT_FALSE(gb(text(Kind::body, "试考\n")));
    // A character across the first 64 KB: the text is cut for conversion at
    // a line break or a byte no character holds, not in the character.
    for (const char separator : {'\n', '.', ' '}) {
        std::string body(65'535, 'x');
        body[40'000] = separator;
        body += "\xC4\xA9yyy";  // "末" at 65535 and 65536
        const Message straddling("Content-Type: text/plain; charset=gbk\r\n\r\n" + body);
        const std::size_t at = straddling.structure.parts[0].body_start;
        ASSERT_EQ(straddling.bytes.substr(at + 65'535, 2), "\xC4\xA9");
        EXPECT_TRUE(straddling(text(Kind::body, "x末y"))) << int(separator);
    }

    // Base64 in lines of 76, the string across the end of the first 64 KB
    // of encoded text (line 840, character 16: decoded byte 47892).
    std::string raw(200'000, 'a');
    raw.replace(47'886, 12, "needle-here!");
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string encoded;
    for (std::size_t i = 0; i < raw.size(); i += 3) {
        const auto b = [&](std::size_t j) { return j < raw.size() ? static_cast<unsigned char>(raw[j]) : 0u; };
        const unsigned n = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
        for (int s = 18; s >= 0; s -= 6) encoded += alphabet[(n >> s) & 63];
        if (i % 57 == 54) encoded += "\r\n";
    }
    const Message b64("Content-Transfer-Encoding: base64\r\n\r\n" + encoded);
    EXPECT_TRUE(b64(text(Kind::body, "needle-HERE!")));
    EXPECT_FALSE(b64(text(Kind::body, "needle-there")));
}

TEST(Search, HostileMessagesStayBounded) {
    // 10,000 text parts, and many keys over them: one pass, no crash.
    std::string many = "Content-Type: multipart/mixed; boundary=z\r\n\r\n";
    for (int i = 0; i < 10'000; ++i) many += "--z\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\npart=20" + std::to_string(i) + "\r\n";
    many += "--z--\r\n";
    const Message m(many);
    ASSERT_EQ(m.structure.parts.size(), 10'000u);  // MimeLimits::max_parts: the last part is not listed
    std::vector<SearchKey> keys;
    for (int i = 0; i < 100; ++i) keys.push_back(either(text(Kind::body, "part " + std::to_string(9'990 + i % 20)), text(Kind::text, "nowhere")));
    EXPECT_FALSE(m(all_of(keys)));  // "part 10000".. are not there
    EXPECT_TRUE(m(text(Kind::body, "part 9998")));
    // A structure that does not fit the bytes (a store bug) is not read past the end.
    Message lying("Subject: x\r\n\r\nshort\r\n");
    lying.structure.parts[0].end = 1'000'000;
    EXPECT_TRUE(lying(text(Kind::body, "short")));
    EXPECT_FALSE(lying(text(Kind::body, "short and more")));
    lying.structure.parts[0].body_start = 2'000'000;
    EXPECT_FALSE(lying(text(Kind::body, "short")));
}

std::uint64_t status_kb(std::string_view field) {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(field)) return std::stoull(line.substr(field.size() + 1));
    }
    return 0;
}

TEST(Search, A25MegabyteBase64PartIsNotDecodedWhole) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "ASan's quarantine and shadow memory make peak RSS meaningless";
#endif
    std::string message = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    const std::string line = "5L2g5aW977yM5LiW55WM44CC5piO5aSp6KeB77yBDQo5L2g5aW977yM5LiW55WM44CC5piO5aSp\r\n";
    while (message.size() < 25 * 1024 * 1024) message += line;
    const Message m(std::move(message));
    // Peak RSS from here (Linux: writing 5 to clear_refs resets VmHWM).
    std::ofstream("/proc/self/clear_refs") << "5";
    const std::uint64_t before = status_kb("VmRSS:");
    if (before == 0 || status_kb("VmHWM:") > before + 1024) GTEST_SKIP() << "no way to reset the peak RSS here";
    EXPECT_FALSE(m(either(text(Kind::body, "absent"), text(Kind::text, "also absent"))));
    // Decoded whole it would be 18 MB, and its UTF-8 copy as much again.
    EXPECT_LT(status_kb("VmHWM:") - before, 4 * 1024);
}

}  // namespace
}  // namespace mxlab::imap
