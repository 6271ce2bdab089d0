// The IMAP command parser: RFC 9051 section 9 and RFC 3501 section 9 grammar, the RFCs' own examples, and the extensions' forms (CONDSTORE/QRESYNC, ESEARCH, LIST-EXTENDED, BINARY, LITERAL+, SASL-IR, ID).
#include <gtest/gtest.h>

#include <string>

#include "mail/imap/command.hpp"

namespace mxlab::imap {
namespace {

using namespace std::chrono_literals;
using FK = FetchItem::Kind;
using SK = SearchKey::Kind;
using namespace std::string_view_literals;

Command ok(std::string_view text, const ParserLimits& limits = {}) {
    auto r = parse_command(text, limits);
    if (auto* e = std::get_if<ParseError>(&r)) {
        ADD_FAILURE() << "\"" << text << "\": " << e->tag << " BAD " << e->text;
        return {};
    }
    return std::get<Command>(std::move(r));
}

// "tag: text" of the refusal, or "accepted".
std::string bad(std::string_view text, const ParserLimits& limits = {}) {
    auto r = parse_command(text, limits);
    if (auto* e = std::get_if<ParseError>(&r)) return e->tag + ": " + e->text;
    return "accepted";
}

SequenceSet set(std::initializer_list<SeqRange> ranges) { return SequenceSet{ranges, false}; }

FetchItem item(FK kind) {
    FetchItem i;
    i.kind = kind;
    return i;
}

// Every client line of the RFCs' examples that this server takes parses.
TEST(ImapCommand, RfcExamplesParse) {
    const char* const examples[] = {
        // RFC 3501 section 8, the sample session.
        "a001 login mrc secret", "a002 select inbox", "a003 fetch 12 full", "a004 fetch 12 body[header]",
        "a005 store 12 +flags \\deleted", "a006 logout",
        // RFC 9051 section 6.
        "a001 CAPABILITY", "a002 NOOP", "A023 LOGOUT", "a001 STARTTLS", "A001 AUTHENTICATE GSSAPI",
        "a001 LOGIN SMITH SESAME", "a002 ENABLE UTF8=ACCEPT", "A142 SELECT INBOX", "A932 EXAMINE blurdybloop",
        "A003 CREATE owatagusiam/", "A004 CREATE owatagusiam/blurdybloop", "A682 LIST \"\" *",
        "A683 DELETE blurdybloop", "A684 CREATE foo/bar/zap", "A685 RENAME Foo Zap", "A686 LIST \"\" Zap*",
        "A002 SUBSCRIBE #news.comp.mail.mime", "A002 UNSUBSCRIBE #news.comp.mail.mime", "A101 LIST \"\" \"\"",
        "A102 LIST #news.comp.mail.misc \"\"", "A103 LIST /usr/staff/jones \"\"", "A202 LIST ~/Mail/ %",
        "A01 LIST \"\" %", "A02 LIST (SUBSCRIBED) \"\" \"*\"", "A03 LIST () \"\" \"%\" RETURN (CHILDREN)",
        "A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)", "A05 LIST (REMOTE SUBSCRIBED) \"/\" \"*\"",
        "A06 LIST (SUBSCRIBED REMOTE) \"\" \"*\" RETURN (CHILDREN)",
        "A07 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN)",
        "A08 LIST \"\" (\"INBOX\" \"Drafts\" \"Sent/%\")", "A11 LIST \"\" \"%\" RETURN (STATUS (MESSAGES UNSEEN))",
        "A12 LIST \"\" \"*\" RETURN (SPECIAL-USE)", "A13 LIST (SPECIAL-USE) \"\" \"*\"", "A001 NAMESPACE",
        "A042 STATUS blurdybloop (UIDNEXT MESSAGES)", "FXXZ CHECK", "A341 CLOSE", "A342 UNSELECT", "A202 EXPUNGE",
        "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"",
        "A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"", "A284 SEARCH TEXT \"string not in mailbox\"",
        "A301 SEARCH RETURN (SAVE) SINCE 19-Mar-2007 NOT FROM \"Smith\"", "A302 COPY $ \"Other Messages\"",
        "A304 SEARCH RETURN (SAVE) DELETED $", "A305 SEARCH RETURN (SAVE) DELETED", "A306 SEARCH $ SMALLER 4096",
        "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", "A003 STORE 2:4 +FLAGS (\\Deleted)",
        "A003 COPY 2:4 MEETING", "a UID MOVE 42:69 foo", "A999 UID FETCH 4827313:4828442 FLAGS",
        "A003 UID EXPUNGE 3000:3002", "A004 UID SEARCH UID 1:* NOT DELETED",
        // RFC 2177 IDLE, RFC 2971 ID, RFC 4959 SASL-IR, RFC 5161 ENABLE.
        "A002 IDLE", "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")",
        "a024 ID NIL", "a01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=", "t2 ENABLE CONDSTORE X-GOOD-IDEA",
        // RFC 3516 BINARY.
        "t FETCH 1 (BINARY.PEEK[1.3] BINARY.SIZE[1.3])", "t FETCH 2 BINARY[3]<0.1024>",
        // RFC 7162 CONDSTORE and QRESYNC.
        "a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)",
        "s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)", "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338",
        "t UID SEARCH MODSEQ 620162338", "A142 SELECT INBOX (CONDSTORE)", "A042 STATUS blurdybloop (UIDNEXT MESSAGES HIGHESTMODSEQ)",
        "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        "s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
        // RFC 8438 STATUS=SIZE.
        "t STATUS INBOX (MESSAGES SIZE)",
    };
    for (const char* e : examples) EXPECT_EQ(bad(e), "accepted") << e;
}

// What common clients send (as Dovecot's logs and the clients' sources show them).
TEST(ImapCommand, RealClientLinesParse) {
    const char* const lines[] = {
        // Thunderbird
        "2 authenticate PLAIN", "3 select \"INBOX\" (CONDSTORE)", "4 UID fetch 1:* (FLAGS)",
        "5 UID fetch 300:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID "
        "Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])",
        "6 UID fetch 7 (UID RFC822.SIZE BODY.PEEK[]<0.32768>)", "7 uid store 5 +FLAGS (\\Seen)",
        "8 UID copy 5 \"Trash\"", "9 list (subscribed) \"\" \"*\" return (special-use)", "10 lsub \"\" \"*\"",
        "11 UID fetch 1:* (FLAGS) (CHANGEDSINCE 12)", "12 ENABLE CONDSTORE", "13 IDLE",
        // Apple Mail
        "1.1 ID (\"name\" \"Mac OS X Mail\" \"version\" \"16.0 (3731)\" \"os\" \"Mac OS X\")",
        "2.1 LIST \"\" \"*\" RETURN (CHILDREN SPECIAL-USE)", "3.1 SELECT INBOX (CONDSTORE)",
        "4.1 UID SEARCH 1:* NOT DELETED",
        "5.1 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)",
        // K-9 / Thunderbird for Android
        "11 UID FETCH 1:20 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (date subject from content-type "
        "to cc reply-to message-id references in-reply-to X-K9mail-Identity Chat-Version)])",
        "12 UID STORE 1 +FLAGS.SILENT (\\Deleted)", "13 UID SEARCH UID 1:* NOT DELETED",
        // mutt
        "a0005 FETCH 1:2 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO CC "
        "MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL "
        "X-ORIGINAL-TO)])",
        "a0006 STATUS \"INBOX\" (MESSAGES)", "a0007 LIST \"\" \"%\"",
        // Roundcube
        "A0004 SEARCH RETURN (COUNT) ALL", "A0005 FETCH 1 (UID BODYSTRUCTURE)",
        "A0006 UID FETCH 1:* (UID RFC822.SIZE FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT "
        "CONTENT-TYPE CC REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY)])",
        "A0007 UID MOVE 4 \"Junk\"",
        // Python imaplib
        "JFAL1 LOGIN bob@sina.com \"pass word\"", "JFAL2 SELECT INBOX", "JFAL3 FETCH 1 (RFC822)",
        "JFAL4 STORE 1 +FLAGS \\Deleted", "JFAL5 SEARCH ALL", "JFAL6 UID SEARCH UNSEEN",
        "JFAL7 APPEND INBOX (\\Seen) \"07-Dec-2026 12:00:00 +0000\" {1}\r\nx",
    };
    for (const char* l : lines) EXPECT_EQ(bad(l), "accepted") << l;
}

// ---- tags and names (RFC 9051 section 9: tag, command) ----

TEST(ImapCommand, TagsAndCaseInsensitiveNames) {
    auto c = ok("a001 capability");
    EXPECT_EQ(c.tag, "a001");
    EXPECT_EQ(c.name, Name::capability);
    EXPECT_EQ(ok("A.1]x NoOp").name, Name::noop);  // "]" is an ASTRING-CHAR
    EXPECT_EQ(ok("t LOGOUT").name, Name::logout);
    EXPECT_EQ(ok("t STARTTLS").name, Name::starttls);
    EXPECT_EQ(ok("t NAMESPACE").name, Name::namespace_);
    EXPECT_EQ(ok("t IDLE").name, Name::idle);
    EXPECT_EQ(ok("t CHECK").name, Name::check);
    EXPECT_EQ(ok("t CLOSE").name, Name::close);
    EXPECT_EQ(ok("t UNSELECT").name, Name::unselect);
    EXPECT_EQ(ok("t EXPUNGE").name, Name::expunge);
}

TEST(ImapCommand, BadTagsHaveNoTagToEcho) {
    EXPECT_EQ(bad(""), ": Empty command");
    EXPECT_EQ(bad("a+1 NOOP"), ": Invalid tag");  // "+" is not a tag char
    EXPECT_EQ(bad("* NOOP"), ": Invalid tag");
    EXPECT_EQ(bad("a\"1 NOOP"), ": Invalid tag");
    EXPECT_EQ(bad(" NOOP"), ": Invalid tag");
    EXPECT_EQ(bad("a1"), "a1: Missing command");
}

TEST(ImapCommand, UnknownAndMalformedCommandsKeepTheTag) {
    EXPECT_EQ(bad("a1 FROB"), "a1: Unknown command");
    EXPECT_EQ(bad("a1 NOOP extra"), "a1: Unexpected text after the command");
    EXPECT_EQ(bad("a1 NOOP "), "a1: Unexpected text after the command");
    EXPECT_EQ(bad("a1 UID NOOP"), "a1: UID takes COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE");
    EXPECT_EQ(bad("a1 UID UID FETCH 1 FLAGS"), "a1: Unknown command");
    EXPECT_EQ(bad("a1 SELECT"), "a1: Missing argument");
    EXPECT_EQ(bad("a1  NOOP"), "a1: Unknown command");
}

// ---- strings (RFC 9051 section 4.3) ----

TEST(ImapCommand, LoginWithAtomsQuotedAndLiterals) {
    // RFC 9051 6.2.3: A001 LOGIN SMITH SESAME
    auto c = ok("A001 LOGIN SMITH SESAME");
    EXPECT_EQ(c.name, Name::login);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"SMITH", "SESAME"}));
    c = ok(R"(a LOGIN "fred foo" "p\"a\\ss")");
    EXPECT_EQ(c.strings, (std::vector<std::string>{"fred foo", "p\"a\\ss"}));
    c = ok("a LOGIN {4}\r\nfred {5+}\r\nx y\"z");
    EXPECT_EQ(c.strings, (std::vector<std::string>{"fred", "x y\"z"}));
    c = ok("a LOGIN {0}\r\n {3-}\r\n\r\n\r");
    EXPECT_EQ(c.strings, (std::vector<std::string>{"", "\r\n\r"}));
    EXPECT_EQ(ok("a LOGIN \"\" \"\"").strings, (std::vector<std::string>{"", ""}));
}

TEST(ImapCommand, BadStrings) {
    EXPECT_EQ(bad(R"(a LOGIN "fred)"), "a: Unterminated quoted string");
    EXPECT_EQ(bad(R"(a LOGIN "f\red" x)"), "a: Invalid escape in a quoted string");
    EXPECT_EQ(bad("a LOGIN {10}\r\nfred x"), "a: Literal shorter than announced");
    EXPECT_EQ(bad("a LOGIN {4}fred x"), "a: Invalid literal");
    EXPECT_EQ(bad("a LOGIN ~{4}\r\nfred x"), "a: Binary literal not allowed here");
    EXPECT_EQ(bad(std::string_view("a LOGIN {4}\r\nfr\0d x", 19)), "a: NUL in a literal");
    EXPECT_EQ(bad("a LOGIN {99999999999999999999}\r\nx x"), "a: Invalid literal");
    EXPECT_EQ(bad("a LOGIN fred"), "a: Missing argument");
    EXPECT_EQ(bad("a LOGIN fr(ed x"), "a: Expected a space between arguments");
}

TEST(ImapCommand, Authenticate) {
    // RFC 9051 6.2.2; RFC 4959 SASL-IR.
    auto c = ok("A001 AUTHENTICATE GSSAPI");
    EXPECT_EQ(c.name, Name::authenticate);
    EXPECT_EQ(c.strings, std::vector<std::string>{"GSSAPI"});
    c = ok("a AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=");
    EXPECT_EQ(c.strings, (std::vector<std::string>{"PLAIN", "AGJvYgBzZWNyZXQ="}));
    EXPECT_EQ(ok("a AUTHENTICATE PLAIN =").strings, (std::vector<std::string>{"PLAIN", "="}));
    EXPECT_EQ(bad("a AUTHENTICATE PLAIN a*b"), "a: Unexpected text after the command");
    EXPECT_EQ(bad("a AUTHENTICATE"), "a: Missing argument");
}

// ---- mailboxes ----

TEST(ImapCommand, MailboxCommands) {
    EXPECT_EQ(ok("A142 SELECT INBOX").mailbox, "INBOX");
    EXPECT_EQ(ok("A142 SELECT inBox").mailbox, "INBOX");  // RFC 9051 5.1: INBOX is case-insensitive
    EXPECT_EQ(ok("A932 EXAMINE blurdybloop").name, Name::examine);
    auto c = ok("A003 CREATE owatagusiam/");
    EXPECT_EQ(c.name, Name::create);
    EXPECT_EQ(c.mailbox, "owatagusiam/");
    EXPECT_EQ(ok("A683 DELETE blurdybloop").name, Name::delete_);
    c = ok("A682 RENAME \"foo bar\" {3}\r\nzap");
    EXPECT_EQ(c.name, Name::rename);
    EXPECT_EQ(c.mailbox, "foo bar");
    EXPECT_EQ(c.mailbox2, "zap");
    EXPECT_EQ(ok("A002 SUBSCRIBE #news.comp.mail.mime").mailbox, "#news.comp.mail.mime");
    EXPECT_EQ(ok("A002 UNSUBSCRIBE #news.comp.mail.mime").name, Name::unsubscribe);
    EXPECT_EQ(ok("a SELECT Entw&APw-rfe").mailbox, "Entw&APw-rfe");  // decoded by the session
    EXPECT_EQ(ok("a SELECT \"Entw\xc3\xbcrfe\"").mailbox, "Entw\xc3\xbcrfe");
    EXPECT_EQ(bad("a SELECT a*b"), "a: Unexpected text after the command");
}

TEST(ImapCommand, SelectCondstoreAndQresync) {
    // RFC 7162 3.1.8 and 3.2.5.
    auto c = ok("a SELECT INBOX (CONDSTORE)");
    EXPECT_TRUE(c.condstore);
    EXPECT_FALSE(c.qresync);
    c = ok("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))");
    ASSERT_TRUE(c.qresync);
    EXPECT_EQ(c.qresync->uidvalidity, 67890007u);
    EXPECT_EQ(c.qresync->modseq, 20050715194045000u);
    EXPECT_EQ(c.qresync->known_uids, set({{41, 41}, {43, 211}, {214, 541}}));
    EXPECT_FALSE(c.qresync->seq_match);
    c = ok("B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
           "15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))");
    ASSERT_TRUE(c.qresync && c.qresync->seq_match);
    EXPECT_EQ(c.qresync->seq_match->first.ranges.size(), 4u);
    EXPECT_EQ(c.qresync->seq_match->second.ranges.size(), 13u);
    c = ok("a EXAMINE INBOX (QRESYNC (1 2 (1 5)) CONDSTORE)");
    ASSERT_TRUE(c.qresync && c.qresync->seq_match);
    EXPECT_FALSE(c.qresync->known_uids);
    EXPECT_TRUE(c.condstore);
    EXPECT_EQ(ok("a SELECT INBOX (QRESYNC (1 2))").qresync->modseq, 2u);
    EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (0 2))"), "a: Invalid UIDVALIDITY");
    EXPECT_EQ(bad("a SELECT INBOX (QRESYNC (1 0))"), "a: Invalid mod-sequence");
    EXPECT_EQ(bad("a SELECT INBOX (FOO)"), "a: Unknown SELECT parameter");
    EXPECT_EQ(bad("a SELECT INBOX ()"), "a: Unknown SELECT parameter");
}

TEST(ImapCommand, ListAndLsub) {
    // RFC 9051 6.3.9 examples.
    auto c = ok("A101 LIST \"\" \"\"");
    EXPECT_EQ(c.name, Name::list);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"", ""}));
    EXPECT_FALSE(c.list.extended);
    EXPECT_EQ(ok("A102 LIST #news.comp.mail.misc \"\"").strings[0], "#news.comp.mail.misc");
    EXPECT_EQ(ok("A202 LIST ~/Mail/ %").strings, (std::vector<std::string>{"~/Mail/", "%"}));
    EXPECT_EQ(ok("a LIST \"\" *").strings[1], "*");
    EXPECT_EQ(ok("a LIST \"\" INBOX/%/x]").strings[1], "INBOX/%/x]");
    c = ok("A002 LSUB \"#news.\" \"comp.mail.*\"");
    EXPECT_EQ(c.name, Name::lsub);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"#news.", "comp.mail.*"}));
}

TEST(ImapCommand, ListExtended) {
    // RFC 5258 section 5 examples, RFC 5819, RFC 6154.
    auto c = ok("A02 LIST (SUBSCRIBED) \"\" \"*\"");
    EXPECT_TRUE(c.list.extended && c.list.subscribed);
    c = ok("A03 LIST () \"\" \"%\" RETURN (CHILDREN)");
    EXPECT_TRUE(c.list.extended && c.list.return_children);
    EXPECT_FALSE(c.list.subscribed);
    c = ok("A04 LIST (REMOTE) \"\" \"%\" RETURN (CHILDREN)");
    EXPECT_TRUE(c.list.remote);
    c = ok("A05 LIST (subscribed recursivematch) \"\" \"%\" RETURN (children)");
    EXPECT_TRUE(c.list.subscribed && c.list.recursive_match && c.list.return_children);
    c = ok("A06 LIST \"\" (\"INBOX\" \"Drafts\" Sent/%)");
    EXPECT_TRUE(c.list.extended);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"", "INBOX", "Drafts", "Sent/%"}));
    c = ok("A07 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN) SUBSCRIBED SPECIAL-USE)");
    ASSERT_TRUE(c.list.return_status);
    EXPECT_TRUE(c.list.return_status->messages && c.list.return_status->unseen);
    EXPECT_FALSE(c.list.return_status->recent);
    EXPECT_TRUE(c.list.return_subscribed && c.list.return_special_use);
    c = ok("t1 LIST (SPECIAL-USE) \"\" \"*\"");
    EXPECT_TRUE(c.list.special_use);
    EXPECT_TRUE(ok("a LIST \"\" % RETURN ()").list.extended);
    EXPECT_EQ(bad("A08 LIST (RECURSIVEMATCH) \"\" \"%\""), "A08: RECURSIVEMATCH alone");
    EXPECT_EQ(bad("a LIST (FOO) \"\" %"), "a: Unknown LIST selection option");
    EXPECT_EQ(bad("a LIST \"\" % RETURN (FOO)"), "a: Unknown LIST return option");
    EXPECT_EQ(bad("a LIST \"\" % FOO"), "a: Expected RETURN");
}

TEST(ImapCommand, Status) {
    // RFC 9051 6.3.11: A042 STATUS blurdybloop (UIDNEXT MESSAGES)
    auto c = ok("A042 STATUS blurdybloop (UIDNEXT MESSAGES)");
    EXPECT_EQ(c.mailbox, "blurdybloop");
    EXPECT_TRUE(c.status.uidnext && c.status.messages);
    EXPECT_FALSE(c.status.unseen);
    c = ok("a STATUS INBOX (messages recent uidnext uidvalidity unseen size highestmodseq deleted)");
    EXPECT_EQ(c.status, (StatusItems{true, true, true, true, true, true, true, true}));
    EXPECT_EQ(bad("a STATUS INBOX ()"), "a: Unknown STATUS item");
    EXPECT_EQ(bad("a STATUS INBOX (FOO)"), "a: Unknown STATUS item");
    EXPECT_EQ(bad("a STATUS INBOX"), "a: Missing argument");
}

// ---- APPEND (RFC 9051 6.3.12) ----

TEST(ImapCommand, AppendRfcExample) {
    const std::string message =
        "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
        "From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
        "Subject: afternoon meeting\r\n"
        "\r\n"
        "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    const std::string text = "A003 APPEND saved-messages (\\Seen) {" + std::to_string(message.size()) + "}\r\n" + message;
    auto c = ok(text);
    EXPECT_EQ(c.name, Name::append);
    EXPECT_EQ(c.mailbox, "saved-messages");
    EXPECT_EQ(c.flags.system, store::flag_seen);
    EXPECT_FALSE(c.append_date);
    EXPECT_EQ(c.message, message);
}

TEST(ImapCommand, AppendDateTimeAndLiteral8) {
    auto c = ok("a APPEND Drafts (\\Draft $Label1 \\Recent) \"17-Jul-1996 02:44:25 -0700\" ~{3}\r\na\0b"sv);
    EXPECT_EQ(c.flags.system, store::flag_draft);
    EXPECT_EQ(c.flags.keywords, std::vector<std::string>{"$Label1"});
    EXPECT_TRUE(c.flag_recent);
    ASSERT_TRUE(c.append_date);
    // 02:44:25 at -07:00 is 09:44:25 UTC.
    EXPECT_EQ(*c.append_date, std::chrono::sys_days{std::chrono::July / 17 / 1996} + 9h + 44min + 25s);
    EXPECT_EQ(c.append_zone_minutes, -420);
    EXPECT_EQ(c.message, std::string("a\0b", 3));
    // date-day-fixed: " 7" (RFC 9051 section 9), and "7" from lax clients.
    c = ok("a APPEND INBOX \" 7-Feb-1994 21:52:25 +0130\" {1+}\r\nx");
    EXPECT_EQ(*c.append_date, std::chrono::sys_days{std::chrono::February / 7 / 1994} + 20h + 22min + 25s);
    EXPECT_EQ(c.append_zone_minutes, 90);
    EXPECT_TRUE(ok("a APPEND INBOX \"7-feb-1994 21:52:25 +0000\" {1}\r\nx").append_date);
    EXPECT_EQ(ok("a APPEND INBOX () {0}\r\n").message, "");
}

TEST(ImapCommand, AppendPrefixOfAStreamedLiteral) {
    // reader.hpp: the session parses stream_begin's text with " {0}\r\n" added.
    auto c = ok("a1 APPEND INBOX (\\Seen) \"01-Jan-2026 00:00:00 +0000\" {0}\r\n");
    EXPECT_EQ(c.mailbox, "INBOX");
    EXPECT_EQ(c.flags.system, store::flag_seen);
    EXPECT_TRUE(c.append_date);
}

TEST(ImapCommand, BadAppend) {
    EXPECT_EQ(bad("a APPEND INBOX"), "a: Missing argument");
    EXPECT_EQ(bad("a APPEND INBOX hello"), "a: Expected the message as a literal");
    EXPECT_EQ(bad("a APPEND INBOX \"31-Feb-2026 00:00:00 +0000\" {1}\r\nx"), "a: Invalid date");
    EXPECT_EQ(bad("a APPEND INBOX \"01-Jan-2026 24:00:00 +0000\" {1}\r\nx"), "a: Invalid date-time");
    EXPECT_EQ(bad("a APPEND INBOX \"01-Jan-2026 00:00:00\" {1}\r\nx"), "a: Invalid date-time");
    EXPECT_EQ(bad("a APPEND INBOX \"01-Jan-2026 00:00:00 -4800\" {1}\r\nx"), "a: Invalid date-time");  // found by fuzzing
    EXPECT_EQ(bad("a APPEND INBOX \"01-Jan-2026 00:00:00 +0060\" {1}\r\nx"), "a: Invalid date-time");
    EXPECT_EQ(bad("a APPEND INBOX (\\Foo) {1}\r\nx"), "a: Invalid system flag");
    EXPECT_EQ(bad("a APPEND INBOX {1}\r\nx y"), "a: Unexpected text after the command");
}

// ---- ENABLE, ID, NAMESPACE ----

TEST(ImapCommand, EnableAndId) {
    // RFC 5161 section 4; RFC 2971 section 3.3.
    auto c = ok("t2 ENABLE CONDSTORE X-GOOD-IDEA");
    EXPECT_EQ(c.name, Name::enable);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"CONDSTORE", "X-GOOD-IDEA"}));
    EXPECT_EQ(bad("t2 ENABLE"), "t2: Missing argument");
    c = ok("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\" \"x\" NIL)");
    EXPECT_EQ(c.name, Name::id);
    EXPECT_EQ(c.strings, (std::vector<std::string>{"name", "sodr", "version", "19.34", "vendor",
                                                   "Pink Floyd Music Limited", "x", ""}));
    EXPECT_TRUE(ok("a ID NIL").strings.empty());
    EXPECT_TRUE(ok("a ID ()").strings.empty());
    EXPECT_EQ(bad("a ID (\"name\")"), "a: Missing argument");
    ParserLimits small;
    small.max_strings = 2;
    EXPECT_EQ(bad("a ID (a b c d e f)", small), "a: Too many ID fields");
    EXPECT_EQ(bad("a ENABLE A B C", small), "a: Too many arguments");
}

// ---- sequence sets (RFC 9051 section 9, RFC 5182) ----

TEST(ImapCommand, SequenceSets) {
    EXPECT_EQ(ok("a COPY 2:4 MEETING").set, set({{2, 4}}));
    EXPECT_EQ(ok("a COPY 4:2,7,*,9:* x").set, set({{4, 2}, {7, 7}, {star, star}, {9, star}}));
    EXPECT_EQ(ok("a COPY 4294967295 x").set, set({{4294967295u, 4294967295u}}));
    const auto saved = ok("a COPY $ x").set;
    EXPECT_TRUE(saved.saved);
    EXPECT_TRUE(saved.ranges.empty());
    for (const char* s : {"0", "01", "1:", ":1", "1,,2", "1:2:3", "4294967296", "$,1", "1,$", "x", "1.5", "-1"})
        EXPECT_EQ(bad(std::string("a COPY ") + s + " x"), "a: Invalid sequence set") << s;
    ParserLimits small;
    small.max_set_ranges = 3;
    EXPECT_EQ(bad("a COPY 1,2,3,4 x", small), "a: Sequence set too long");
}

TEST(ImapCommand, CopyMoveAndUidForms) {
    // RFC 9051 6.4.7, 6.4.8 (MOVE), 6.4.9 (UID).
    auto c = ok("A003 COPY 2:4 MEETING");
    EXPECT_EQ(c.name, Name::copy);
    EXPECT_FALSE(c.uid);
    EXPECT_EQ(c.mailbox, "MEETING");
    c = ok("a UID MOVE 42:69 foo");
    EXPECT_EQ(c.name, Name::move);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.set, set({{42, 69}}));
    c = ok("A003 UID EXPUNGE 3000:3002");
    EXPECT_EQ(c.name, Name::expunge);
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.set, set({{3000, 3002}}));
    EXPECT_EQ(bad("a UID EXPUNGE"), "a: Missing argument");
    EXPECT_EQ(ok("a uid fetch 1 flags").name, Name::fetch);
}

// ---- FETCH (RFC 9051 6.4.5, RFC 3501 6.4.5) ----

TEST(ImapCommand, FetchRfcExamples) {
    // RFC 9051 6.4.5: A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])
    auto c = ok("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])");
    EXPECT_EQ(c.name, Name::fetch);
    EXPECT_EQ(c.set, set({{2, 4}}));
    ASSERT_EQ(c.fetch.size(), 2u);
    EXPECT_EQ(c.fetch[0].kind, FK::flags);
    EXPECT_EQ(c.fetch[1].kind, FK::body_section);
    EXPECT_EQ(c.fetch[1].section.text, Section::Text::header_fields);
    EXPECT_EQ(c.fetch[1].section.fields, (std::vector<std::string>{"DATE", "FROM"}));
    EXPECT_FALSE(c.fetch[1].peek);
    // RFC 3501 6.4.5: A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])  and UID FETCH 4827313:4828442 FLAGS
    c = ok("A999 UID FETCH 4827313:4828442 FLAGS");
    EXPECT_TRUE(c.uid);
    EXPECT_EQ(c.fetch, std::vector<FetchItem>{item(FK::flags)});
}

TEST(ImapCommand, FetchMacros) {
    const std::vector<FetchItem> fast{item(FK::flags), item(FK::internaldate), item(FK::rfc822_size)};
    EXPECT_EQ(ok("a FETCH 1 FAST").fetch, fast);
    auto all = fast;
    all.push_back(item(FK::envelope));
    EXPECT_EQ(ok("a FETCH 1 all").fetch, all);
    auto full = all;
    full.push_back(item(FK::body));
    EXPECT_EQ(ok("a FETCH 1:* FULL").fetch, full);
    EXPECT_EQ(bad("a FETCH 1 (ALL)"), "a: Invalid FETCH item");
}

TEST(ImapCommand, FetchSimpleItems) {
    auto c = ok("a FETCH 1 (UID RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY INTERNALDATE RFC822 RFC822.HEADER "
                "RFC822.TEXT MODSEQ flags)");
    std::vector<FK> kinds;
    for (const auto& i : c.fetch) kinds.push_back(i.kind);
    EXPECT_EQ(kinds, (std::vector<FK>{FK::uid, FK::rfc822_size, FK::envelope, FK::bodystructure, FK::body,
                                      FK::internaldate, FK::rfc822, FK::rfc822_header, FK::rfc822_text, FK::modseq,
                                      FK::flags}));
}

TEST(ImapCommand, FetchSections) {
    auto c = ok("a FETCH 1 (BODY[] BODY.PEEK[HEADER] body[TEXT]<0.2048> BODY[1.2.3] BODY[4.2.MIME] "
                "BODY[3.HEADER.FIELDS.NOT (Received X-Spam)] BODY[1.TEXT] BODY.PEEK[2.HEADER]<10.1>)");
    ASSERT_EQ(c.fetch.size(), 8u);
    EXPECT_EQ(c.fetch[0].section, Section{});
    EXPECT_FALSE(c.fetch[0].partial);
    EXPECT_TRUE(c.fetch[1].peek);
    EXPECT_EQ(c.fetch[1].section.text, Section::Text::header);
    EXPECT_EQ(c.fetch[2].section.text, Section::Text::text);
    EXPECT_EQ(c.fetch[2].partial, (Partial{0, 2048}));
    EXPECT_EQ(c.fetch[3].section.part, (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_EQ(c.fetch[3].section.text, Section::Text::none);
    EXPECT_EQ(c.fetch[4].section.part, (std::vector<std::uint32_t>{4, 2}));
    EXPECT_EQ(c.fetch[4].section.text, Section::Text::mime);
    EXPECT_EQ(c.fetch[5].section.part, std::vector<std::uint32_t>{3});
    EXPECT_EQ(c.fetch[5].section.text, Section::Text::header_fields_not);
    EXPECT_EQ(c.fetch[5].section.fields, (std::vector<std::string>{"Received", "X-Spam"}));
    EXPECT_EQ(c.fetch[6].section.text, Section::Text::text);
    EXPECT_EQ(c.fetch[7].partial, (Partial{10, 1}));
    // A header field name may be quoted or a literal.
    EXPECT_EQ(ok("a FETCH 1 BODY[HEADER.FIELDS (\"Subject\" {4}\r\nDate)]").fetch[0].section.fields,
              (std::vector<std::string>{"Subject", "Date"}));
}

TEST(ImapCommand, FetchBinary) {
    // RFC 3516 section 4.
    auto c = ok("a FETCH 1 (BINARY[] BINARY.PEEK[1.2]<0.100> BINARY.SIZE[3])");
    ASSERT_EQ(c.fetch.size(), 3u);
    EXPECT_EQ(c.fetch[0].kind, FK::binary);
    EXPECT_FALSE(c.fetch[0].peek);
    EXPECT_EQ(c.fetch[1].kind, FK::binary);
    EXPECT_TRUE(c.fetch[1].peek);
    EXPECT_EQ(c.fetch[1].section.part, (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(c.fetch[1].partial, (Partial{0, 100}));
    EXPECT_EQ(c.fetch[2].kind, FK::binary_size);
    EXPECT_EQ(c.fetch[2].section.part, std::vector<std::uint32_t>{3});
    EXPECT_EQ(bad("a FETCH 1 BINARY[HEADER]"), "a: Invalid section");
    EXPECT_EQ(bad("a FETCH 1 BINARY.SIZE[1]<0.5>"), "a: Unexpected text after the command");
}

TEST(ImapCommand, FetchModifiers) {
    // RFC 7162 3.1.4.1: s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345); 3.2.6 VANISHED.
    auto c = ok("s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)");
    EXPECT_EQ(c.changed_since, 12345u);
    EXPECT_FALSE(c.vanished);
    c = ok("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
    EXPECT_TRUE(c.vanished);
    EXPECT_EQ(bad("a FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)"), "a: VANISHED needs UID FETCH and CHANGEDSINCE");
    EXPECT_EQ(bad("a UID FETCH 1 FLAGS (VANISHED)"), "a: VANISHED needs UID FETCH and CHANGEDSINCE");
    EXPECT_EQ(bad("a FETCH 1 FLAGS (FOO)"), "a: Unknown FETCH modifier");
    EXPECT_EQ(bad("a FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)"), "a: Invalid mod-sequence");
}

TEST(ImapCommand, BadFetch) {
    EXPECT_EQ(bad("a FETCH 1"), "a: Missing argument");
    EXPECT_EQ(bad("a FETCH 1 ()"), "a: Invalid FETCH item");
    EXPECT_EQ(bad("a FETCH 1 FOO"), "a: Invalid FETCH item");
    EXPECT_EQ(bad("a FETCH 1 BODY[MIME]"), "a: Invalid section");  // MIME needs a part
    EXPECT_EQ(bad("a FETCH 1 BODY[0]"), "a: Invalid section");
    EXPECT_EQ(bad("a FETCH 1 BODY[1.]"), "a: Invalid section");
    EXPECT_EQ(bad("a FETCH 1 BODY[HEADER.FIELDS ()]"), "a: Invalid argument");
    EXPECT_EQ(bad("a FETCH 1 BODY[]<0.0>"), "a: Invalid partial");
    EXPECT_EQ(bad("a FETCH 1 BODY[]<0>"), "a: Invalid partial");
    EXPECT_EQ(bad("a FETCH 1 BODY.PEEK"), "a: Missing argument");
    EXPECT_EQ(bad("a FETCH 1 (FLAGS"), "a: Missing argument");
    ParserLimits small;
    small.max_fetch_items = 2;
    EXPECT_EQ(bad("a FETCH 1 FAST", small), "a: Too many FETCH items");
    small.max_header_fields = 1;
    EXPECT_EQ(bad("a FETCH 1 BODY[HEADER.FIELDS (A B)]", small), "a: Too many header fields");
}

// ---- STORE (RFC 9051 6.4.6, RFC 7162 3.1.3) ----

TEST(ImapCommand, Store) {
    // RFC 9051 6.4.6: A003 STORE 2:4 +FLAGS (\Deleted)
    auto c = ok("A003 STORE 2:4 +FLAGS (\\Deleted)");
    EXPECT_EQ(c.name, Name::store);
    EXPECT_EQ(c.flag_op, store::FlagOp::add);
    EXPECT_FALSE(c.silent);
    EXPECT_EQ(c.flags.system, store::flag_deleted);
    c = ok("a STORE 1 -flags.silent \\SEEN \\answered work $Forwarded work");
    EXPECT_EQ(c.flag_op, store::FlagOp::remove);
    EXPECT_TRUE(c.silent);
    EXPECT_EQ(c.flags.system, store::flag_seen | store::flag_answered);
    EXPECT_EQ(c.flags.keywords, (std::vector<std::string>{"$Forwarded", "work"}));
    c = ok("a UID STORE 1:* FLAGS ()");
    EXPECT_EQ(c.flag_op, store::FlagOp::replace);
    EXPECT_EQ(c.flags, store::Flags{});
    // RFC 7162 3.1.3: d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\Deleted)
    c = ok("d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");
    EXPECT_EQ(c.unchanged_since, 320162338u);
    EXPECT_TRUE(c.silent);
    EXPECT_EQ(ok("a STORE 1 (UNCHANGEDSINCE 0) FLAGS (\\Flagged \\Draft \\Recent)").unchanged_since, 0u);
}

TEST(ImapCommand, BadStore) {
    EXPECT_EQ(bad("a STORE 1 FLAGS (\\Foo)"), "a: Invalid system flag");
    EXPECT_EQ(bad("a STORE 1 FLAGS (\\*)"), "a: Invalid system flag");
    EXPECT_EQ(bad("a STORE 1 FLAGS"), "a: Missing argument");
    EXPECT_EQ(bad("a STORE 1 FLAGS.LOUD (\\Seen)"), "a: Expected FLAGS, +FLAGS or -FLAGS");
    EXPECT_EQ(bad("a STORE 1 (FOO 1) FLAGS (\\Seen)"), "a: Unknown STORE modifier");
    EXPECT_EQ(bad("a STORE 1 FLAGS (a)b)"), "a: Unexpected text after the command");
    EXPECT_EQ(bad("a STORE 1 FLAGS (\"a\")"), "a: Invalid flag");
    ParserLimits small;
    small.max_flags = 2;
    EXPECT_EQ(bad("a STORE 1 FLAGS (a b c)", small), "a: Too many flags");
}

// ---- SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4) ----

TEST(ImapCommand, SearchRfcExamples) {
    // RFC 3501 6.4.4.
    auto c = ok("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
    EXPECT_EQ(c.name, Name::search);
    ASSERT_EQ(c.search.kind, SK::and_);
    ASSERT_EQ(c.search.children.size(), 3u);
    EXPECT_EQ(c.search.children[0].kind, SK::flagged);
    EXPECT_EQ(c.search.children[1].kind, SK::since);
    EXPECT_EQ(c.search.children[1].date, std::chrono::sys_days{std::chrono::February / 1 / 1994});
    EXPECT_EQ(c.search.children[2].kind, SK::not_);
    ASSERT_EQ(c.search.children[2].children.size(), 1u);
    EXPECT_EQ(c.search.children[2].children[0].kind, SK::from);
    EXPECT_EQ(c.search.children[2].children[0].text, "Smith");
    c = ok("A284 SEARCH TEXT \"string not in mailbox\"");
    EXPECT_EQ(c.search.children[0].text, "string not in mailbox");
    c = ok("A285 SEARCH CHARSET UTF-8 TEXT {13}\r\n\xd0\xbd\xd0\xb5\xd1\x82 \xd1\x82\xd0\xb0\xd0\xba");
    EXPECT_EQ(c.charset, "UTF-8");
    ASSERT_EQ(c.search.children.size(), 1u);
    EXPECT_EQ(c.search.children[0].text.size(), 13u);
    // RFC 9051 6.4.4: A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
    c = ok("A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
    EXPECT_TRUE(c.search_return.given);
    EXPECT_TRUE(c.search_return.all);
    EXPECT_EQ(c.search.children.size(), 3u);
    c = ok("A301 SEARCH RETURN (MIN MAX COUNT SAVE) UNSEEN");
    EXPECT_EQ(c.search_return, (SearchReturn{true, true, false, true, true, true}));
    EXPECT_FALSE(ok("a SEARCH ALL").search_return.given);
}

TEST(ImapCommand, SearchEveryRfc3501Key) {
    auto c = ok("a SEARCH ALL ANSWERED BCC x BEFORE 1-Jan-2000 BODY y CC z DELETED DRAFT FLAGGED FROM f "
                "HEADER X-Spam yes KEYWORD $Junk LARGER 1000 NEW NOT SEEN OLD ON \"02-Mar-2020\" "
                "OR SEEN UNSEEN RECENT SEEN SENTBEFORE 1-Jan-2001 SENTON 2-Jan-2001 SENTSINCE 3-Jan-2001 "
                "SINCE 4-Jan-2001 SMALLER 99 SUBJECT s TEXT t TO u UID 1:5 UNANSWERED UNDELETED UNDRAFT "
                "UNFLAGGED UNKEYWORD work UNSEEN 1,3:* (SEEN FLAGGED) $");
    std::vector<SK> kinds;
    for (const auto& k : c.search.children) kinds.push_back(k.kind);
    EXPECT_EQ(kinds, (std::vector<SK>{SK::all, SK::answered, SK::bcc, SK::before, SK::body, SK::cc, SK::deleted,
                                      SK::draft, SK::flagged, SK::from, SK::header, SK::keyword, SK::larger,
                                      SK::new_, SK::not_, SK::old, SK::on, SK::or_, SK::recent, SK::seen,
                                      SK::sentbefore, SK::senton, SK::sentsince, SK::since, SK::smaller,
                                      SK::subject, SK::text, SK::to, SK::uid, SK::unanswered, SK::undeleted,
                                      SK::undraft, SK::unflagged, SK::unkeyword, SK::unseen, SK::sequence,
                                      SK::and_, SK::sequence}));
    const auto& h = c.search.children[10];
    EXPECT_EQ(h.field, "X-Spam");
    EXPECT_EQ(h.text, "yes");
    EXPECT_EQ(c.search.children[11].text, "$Junk");
    EXPECT_EQ(c.search.children[12].number, 1000u);
    EXPECT_EQ(c.search.children[16].date, std::chrono::sys_days{std::chrono::March / 2 / 2020});
    EXPECT_EQ(c.search.children[17].children.size(), 2u);
    EXPECT_EQ(c.search.children[28].set, set({{1, 5}}));
    EXPECT_EQ(c.search.children[35].set, set({{1, 1}, {3, star}}));
    EXPECT_EQ(c.search.children[36].children.size(), 2u);
    EXPECT_TRUE(c.search.children[37].set.saved);
}

TEST(ImapCommand, SearchModseq) {
    // RFC 7162 3.1.5: a SEARCH MODSEQ "/flags/\\draft" all 620162338
    auto c = ok("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338");
    ASSERT_EQ(c.search.children.size(), 1u);
    EXPECT_EQ(c.search.children[0].kind, SK::modseq);
    EXPECT_EQ(c.search.children[0].number, 620162338u);
    EXPECT_EQ(ok("a UID SEARCH OR NOT MODSEQ 720162338 LARGER 50000").search.children[0].kind, SK::or_);
    EXPECT_EQ(bad("a SEARCH MODSEQ \"/flags/x\" mine 5"), "a: Invalid MODSEQ entry type");
}

TEST(ImapCommand, BadSearch) {
    EXPECT_EQ(bad("a SEARCH"), "a: Missing argument");
    EXPECT_EQ(bad("a SEARCH FOO"), "a: Unknown search key");
    EXPECT_EQ(bad("a SEARCH SINCE 1-Foo-2000"), "a: Invalid date");
    EXPECT_EQ(bad("a SEARCH SINCE 30-Feb-2000"), "a: Invalid date");
    EXPECT_EQ(bad("a SEARCH SINCE 1-Feb-00"), "a: Invalid date");
    EXPECT_EQ(bad("a SEARCH OR SEEN"), "a: Missing argument");
    EXPECT_EQ(bad("a SEARCH (SEEN"), "a: Missing argument");
    EXPECT_EQ(bad("a SEARCH ()"), "a: Invalid search key");
    EXPECT_EQ(bad("a SEARCH RETURN (FOO) ALL"), "a: Unknown SEARCH return option");
    EXPECT_EQ(bad("a SEARCH KEYWORD \\Seen"), "a: Invalid keyword");
    ParserLimits small;
    small.max_search_depth = 3;
    EXPECT_EQ(bad("a SEARCH NOT NOT SEEN", small), "accepted");
    EXPECT_EQ(bad("a SEARCH NOT NOT NOT SEEN", small), "a: Search nested too deeply");
    EXPECT_EQ(bad("a SEARCH ((((SEEN))))", small), "a: Search nested too deeply");
    small.max_search_keys = 3;
    EXPECT_EQ(bad("a SEARCH SEEN SEEN SEEN SEEN", small), "a: Too many search keys");
}

TEST(ImapCommand, DeepNestingIsRefusedNotRecursedInto) {
    // A hostile client's 100,000 parentheses: refused at the depth limit, no stack exhausted.
    const std::string deep = "a SEARCH " + std::string(100'000, '(') + "SEEN" + std::string(100'000, ')');
    EXPECT_EQ(bad(deep), "a: Search nested too deeply");
    std::string nots = "a SEARCH ";
    for (int i = 0; i < 50'000; ++i) nots += "NOT ";
    EXPECT_EQ(bad(nots + "SEEN"), "a: Search nested too deeply");
}

}  // namespace
}  // namespace mxlab::imap
