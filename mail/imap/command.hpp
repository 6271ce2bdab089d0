// IMAP commands as the parser returns them (RFC 3501 section 6, RFC 9051 section 6, and the extensions DESIGN.md lists): a tag, a name and typed arguments, every size bounded.
//
// Two steps, both pure. CommandReader (reader.hpp) cuts the client's bytes
// into whole commands: a line plus the literals it announces, or, for a big
// APPEND, a prefix and a literal to stream. parse_command() turns one
// command's bytes into a Command or a ParseError. The session (session.hpp)
// decides what each means in its state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/store/types.hpp"

namespace mxlab::imap {

// ---- sequence sets (RFC 9051 section 9, "sequence-set"; RFC 5182 "$") ----

// "*" is the largest number in use (message count or highest UID): star.
inline constexpr std::uint32_t star = 0;

struct SeqRange {
    std::uint32_t first = 1;  // as written; "4:2" is kept as 4,2 and means 2:4
    std::uint32_t last = 1;
    bool operator==(const SeqRange&) const = default;
};

struct SequenceSet {
    std::vector<SeqRange> ranges;  // in the order written
    bool saved = false;            // "$": the last SEARCH RETURN (SAVE) result (ranges empty)
    bool operator==(const SequenceSet&) const = default;
};

// ---- FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ) ----

struct Section {
    std::vector<std::uint32_t> part;  // "1.2" -> {1, 2}; {} the whole message
    enum class Text : std::uint8_t { none, header, header_fields, header_fields_not, text, mime };
    Text text = Text::none;
    std::vector<std::string> fields;  // HEADER.FIELDS (.NOT): names as written (compare case-insensitively)
    bool operator==(const Section&) const = default;
};

struct Partial {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;  // > 0 (the parser refuses <n.0>)
    bool operator==(const Partial&) const = default;
};

struct FetchItem {
    enum class Kind : std::uint8_t {
        flags,
        uid,
        internaldate,
        rfc822_size,
        rfc822,         // as BODY[] (sets \Seen), answered as RFC822
        rfc822_header,  // as BODY.PEEK[HEADER], answered as RFC822.HEADER
        rfc822_text,    // as BODY[TEXT] (sets \Seen), answered as RFC822.TEXT
        envelope,
        body,            // BODY without a section: the non-extensible BODYSTRUCTURE
        bodystructure,
        body_section,    // BODY[section]<partial>, BODY.PEEK[...]
        binary,          // BINARY[part]<partial>, BINARY.PEEK[...] (section.text is none)
        binary_size,     // BINARY.SIZE[part]
        modseq,
    };
    Kind kind = Kind::flags;
    Section section;
    bool peek = false;
    std::optional<Partial> partial;
    bool operator==(const FetchItem&) const = default;
};

// ---- SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4, RFC 7162 MODSEQ, RFC 4731 ESEARCH) ----

struct SearchKey {
    enum class Kind : std::uint8_t {
        all, and_,  // and_: a parenthesized list, or the top level (children)
        or_, not_,  // or_: two children; not_: one
        sequence,   // a sequence set of message numbers (set)
        uid,        // UID set (set)
        answered, deleted, draft, flagged, seen, recent, new_, old,
        unanswered, undeleted, undraft, unflagged, unseen,
        keyword, unkeyword,  // text: the keyword
        bcc, cc, from, to, subject, body, text,  // text: the string
        header,                                  // field: the name, text: the string
        before, on, since,                       // date: internal date
        sentbefore, senton, sentsince,           // date: the Date: header
        larger, smaller,                         // number: RFC822.SIZE
        modseq,                                  // number: RFC 7162 (entry name and type kept only as parsed)
    };
    Kind kind = Kind::all;
    std::string field;
    std::string text;
    std::chrono::sys_days date{};
    std::uint64_t number = 0;
    SequenceSet set;
    std::vector<SearchKey> children;
    bool operator==(const SearchKey&) const = default;
};

// RETURN options (RFC 4731 ESEARCH, RFC 5182 SAVE); none given: a plain SEARCH answer.
struct SearchReturn {
    bool min = false, max = false, all = false, count = false, save = false;
    bool given = false;  // "RETURN ()" counts as given: ALL (RFC 4731 section 3.1)
    bool operator==(const SearchReturn&) const = default;
};

// ---- the commands ----

enum class Name : std::uint8_t {
    capability, noop, logout,                           // any state
    starttls, login, authenticate,                      // not authenticated
    select, examine, create, delete_, rename, subscribe, unsubscribe, list, lsub, status, append,
    namespace_, enable, id, idle,                       // authenticated (and selected)
    check, close, unselect, expunge, search, fetch, store, copy, move,  // selected; the last five with UID too
};

struct StatusItems {
    bool messages = false, recent = false, uidnext = false, uidvalidity = false, unseen = false, size = false,
         highestmodseq = false, deleted = false;
    bool operator==(const StatusItems&) const = default;
};

struct ListOptions {
    // LIST-EXTENDED (RFC 5258) selection options
    bool subscribed = false, remote = false, recursive_match = false, special_use = false;
    // return options
    bool return_subscribed = false, return_children = false, return_special_use = false;
    std::optional<StatusItems> return_status;  // LIST-STATUS (RFC 5819)
    bool extended = false;                     // any of the above syntax was used
    bool operator==(const ListOptions&) const = default;
};

// SELECT/EXAMINE (QRESYNC (uidvalidity modseq [known-uids [(seq uids)]])) (RFC 7162 3.2.5).
struct Qresync {
    std::uint32_t uidvalidity = 0;
    store::ModSeq modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  // known sequence numbers, their UIDs
    bool operator==(const Qresync&) const = default;
};

struct Command {
    std::string tag;
    Name name = Name::noop;
    bool uid = false;  // UID FETCH, UID SEARCH, UID STORE, UID COPY, UID MOVE, UID EXPUNGE

    // Mailbox names as the client sent them (modified UTF-7 or UTF-8: the session decodes, mailbox_name.hpp),
    // except that INBOX in any case is "INBOX" (RFC 9051 section 5.1); LIST's reference is kept as sent.
    std::string mailbox;   // SELECT, EXAMINE, CREATE, DELETE, RENAME (from), SUBSCRIBE, UNSUBSCRIBE, STATUS, APPEND, COPY/MOVE (to)
    std::string mailbox2;  // RENAME (to)
    // LOGIN: user, password. AUTHENTICATE: mechanism, and the SASL-IR initial
    // response if given ("=" for an empty one). LIST/LSUB: reference then the
    // pattern(s). ENABLE: the capabilities. ID: field, value, field, value ("NIL" dropped: empty).
    std::vector<std::string> strings;

    SequenceSet set;  // FETCH, STORE, COPY, MOVE, UID EXPUNGE

    std::vector<FetchItem> fetch;  // macros ALL, FAST, FULL expanded
    std::optional<store::ModSeq> changed_since;  // FETCH (CHANGEDSINCE n)
    bool vanished = false;                       // UID FETCH (CHANGEDSINCE n VANISHED)

    store::FlagOp flag_op = store::FlagOp::replace;  // STORE FLAGS / +FLAGS / -FLAGS
    bool silent = false;                             // .SILENT
    store::Flags flags;                              // STORE, APPEND (keywords as written, sorted, unique)
    bool flag_recent = false;                        // \Recent was in the list (not storable: ignored, as Dovecot)
    std::optional<store::ModSeq> unchanged_since;    // STORE (UNCHANGEDSINCE n)

    SearchKey search;  // SEARCH: Kind::and_ of the keys
    std::string charset;  // SEARCH CHARSET, as written ("" when absent)
    SearchReturn search_return;

    StatusItems status;  // STATUS
    ListOptions list;    // LIST
    bool condstore = false;         // SELECT/EXAMINE (CONDSTORE)
    std::optional<Qresync> qresync;  // SELECT/EXAMINE (QRESYNC ...)

    // APPEND: internal date if given, and the message (a literal; the reader
    // may instead stream a big one: reader.hpp).
    std::optional<store::Time> append_date;
    std::int16_t append_zone_minutes = 0;
    std::string message;
};

struct ParseError {
    std::string tag;  // empty when none could be read: the reply is "* BAD ..."
    std::string text;  // the human part of "tag BAD text"
};

struct ParserLimits {
    std::size_t max_set_ranges = 10'000;     // ranges in one sequence set
    std::size_t max_search_depth = 100;      // nested parentheses, NOT and OR in SEARCH
    std::size_t max_search_keys = 1'000;     // keys in one SEARCH, all levels
    std::size_t max_fetch_items = 100;
    std::size_t max_header_fields = 1'000;   // HEADER.FIELDS names
    std::size_t max_strings = 100;           // LIST patterns, ENABLE capabilities, ID pairs (x2)
    std::size_t max_flags = 256;             // STORE/APPEND flags (the store's keyword cap)
};

// The command's name as a client writes it ("UNSUBSCRIBE"), without the UID prefix.
std::string_view to_string(Name name);

// One command as CommandReader framed it: `text` holds the line(s) with each
// literal's bytes in place ("{5}\r\nhello"), without the final CRLF.
std::variant<Command, ParseError> parse_command(std::string_view text, const ParserLimits& limits = {});

}  // namespace mxlab::imap
