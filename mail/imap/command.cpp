// The IMAP command parser: RFC 9051 section 9 and RFC 3501 section 9 grammar, with the extensions DESIGN.md lists; see command.hpp.
//
// Recursive descent over one framed command. A failure is thrown as Fail
// inside and returned as a ParseError: the grammar's many exits stay one
// line each, and parse_command() itself never throws.
#include "mail/imap/command.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "core/ascii.hpp"

namespace mxlab::imap {

namespace {

struct Fail {
    const char* text;
};

// RFC 9051 section 9: ATOM-CHAR is any CHAR except atom-specials.
bool atom_char(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': case ']': return false;
    default: return true;
    }
}
bool astring_char(unsigned char c) { return atom_char(c) || c == ']'; }
bool tag_char(unsigned char c) { return astring_char(c) && c != '+'; }
bool list_char(unsigned char c) { return astring_char(c) || c == '%' || c == '*'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::uint64_t max_number64 = std::numeric_limits<std::int64_t>::max();  // RFC 9051 number64

struct Keyword {
    std::string_view name;
    Name value;
};

constexpr auto command_names = std::to_array<Keyword>({
    {"CAPABILITY", Name::capability}, {"NOOP", Name::noop},         {"LOGOUT", Name::logout},
    {"STARTTLS", Name::starttls},     {"LOGIN", Name::login},       {"AUTHENTICATE", Name::authenticate},
    {"SELECT", Name::select},         {"EXAMINE", Name::examine},   {"CREATE", Name::create},
    {"DELETE", Name::delete_},        {"RENAME", Name::rename},     {"SUBSCRIBE", Name::subscribe},
    {"UNSUBSCRIBE", Name::unsubscribe}, {"LIST", Name::list},       {"LSUB", Name::lsub},
    {"STATUS", Name::status},         {"APPEND", Name::append},     {"NAMESPACE", Name::namespace_},
    {"ENABLE", Name::enable},         {"ID", Name::id},             {"IDLE", Name::idle},
    {"CHECK", Name::check},           {"CLOSE", Name::close},       {"UNSELECT", Name::unselect},
    {"EXPUNGE", Name::expunge},       {"SEARCH", Name::search},     {"FETCH", Name::fetch},
    {"STORE", Name::store},           {"COPY", Name::copy},         {"MOVE", Name::move},
    {"UID", Name::noop},  // the prefix, handled apart
});

}  // namespace

std::string_view to_string(Name name) {
    for (const auto& k : command_names)
        if (k.value == name && k.name != "UID") return k.name;
    return "?";
}

namespace {

constexpr std::array<std::string_view, 12> months{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

class Parser {
public:
    Parser(std::string_view text, const ParserLimits& limits) : s_(text), limits_(limits) {}

    std::variant<Command, ParseError> run() {
        try {
            read_tag();
        } catch (const Fail& f) {
            return ParseError{{}, f.text};
        }
        try {
            if (at_end()) throw Fail{"Missing command"};
            sp();
            read_command();
            if (!at_end()) throw Fail{"Unexpected text after the command"};
        } catch (const Fail& f) {
            return ParseError{std::move(c_.tag), f.text};
        }
        return std::move(c_);
    }

private:
    // ---- characters ----

    bool at_end() const { return p_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[p_]; }
    bool take(char ch) {
        if (peek() != ch || at_end()) return false;
        ++p_;
        return true;
    }
    void expect(char ch, const char* what) {
        if (!take(ch)) throw Fail{at_end() ? "Missing argument" : what};
    }
    void sp() {
        if (peek() == ')') throw Fail{"Missing argument"};
        expect(' ', "Expected a space between arguments");
    }
    void open() { expect('(', "Expected a parenthesized list"); }
    void close() { expect(')', "Expected \")\""); }

    std::string_view span(bool (*ok)(unsigned char)) {
        const std::size_t start = p_;
        while (!at_end() && ok(static_cast<unsigned char>(s_[p_]))) ++p_;
        return s_.substr(start, p_ - start);
    }
    std::string_view atom(const char* what = "Invalid argument") {
        const auto a = span(atom_char);
        if (a.empty()) throw Fail{at_end() ? "Missing argument" : what};
        return a;
    }
    // An atom compared case-insensitively with one of the grammar's words.
    bool word(std::string_view w) {
        if (s_.size() - p_ < w.size() || !iequals(s_.substr(p_, w.size()), w)) return false;
        if (p_ + w.size() < s_.size() && atom_char(static_cast<unsigned char>(s_[p_ + w.size()]))) return false;
        p_ += w.size();
        return true;
    }

    // ---- numbers (RFC 9051 section 9: number, nz-number, number64) ----

    std::uint64_t digits(std::uint64_t max, bool nonzero, const char* what) {
        const std::size_t start = p_;
        std::uint64_t n = 0;
        while (digit(peek())) {
            const auto d = static_cast<unsigned>(s_[p_] - '0');
            if (n > (max - d) / 10) throw Fail{what};
            n = n * 10 + d;
            ++p_;
        }
        if (p_ == start) throw Fail{at_end() ? "Missing argument" : what};
        if (nonzero && (n == 0 || s_[start] == '0')) throw Fail{what};
        return n;
    }
    std::uint32_t nz_number(const char* what = "Invalid number") {
        return static_cast<std::uint32_t>(digits(std::numeric_limits<std::uint32_t>::max(), true, what));
    }
    std::uint64_t number64(const char* what = "Invalid number") { return digits(max_number64, false, what); }

    // ---- strings (RFC 9051 section 4.3: quoted, literal; section 9: astring) ----

    std::string quoted() {
        ++p_;  // the opening quote
        std::string out;
        for (;;) {
            if (at_end()) throw Fail{"Unterminated quoted string"};
            const char ch = s_[p_++];
            if (ch == '"') return out;
            if (ch == '\\') {
                const char e = peek();
                if (e != '"' && e != '\\') throw Fail{"Invalid escape in a quoted string"};
                out += e;
                ++p_;
            } else if (ch == '\r' || ch == '\n' || ch == '\0') {
                throw Fail{"Invalid character in a quoted string"};
            } else {
                out += ch;  // 8-bit bytes: UTF-8 in IMAP4rev2 (utf8-quoted)
            }
        }
    }
    // {n}CRLF, {n+}CRLF, {n-}CRLF and, where `binary`, ~{n}CRLF, then n bytes.
    std::string literal(bool binary) {
        if (take('~')) {
            if (!binary) throw Fail{"Binary literal not allowed here"};
        }
        expect('{', "Expected a literal");
        const std::uint64_t n = digits(std::numeric_limits<std::uint64_t>::max() / 10, false, "Invalid literal");
        if (!take('+')) take('-');
        expect('}', "Invalid literal");
        if (!take('\r') || !take('\n')) throw Fail{"Invalid literal"};
        if (n > s_.size() - p_) throw Fail{"Literal shorter than announced"};
        std::string out(s_.substr(p_, static_cast<std::size_t>(n)));
        p_ += static_cast<std::size_t>(n);
        if (!binary && out.find('\0') != std::string::npos) throw Fail{"NUL in a literal"};
        return out;
    }
    bool at_literal() const { return peek() == '{' || (peek() == '~' && p_ + 1 < s_.size() && s_[p_ + 1] == '{'); }
    std::string string() {
        if (peek() == '"') return quoted();
        if (at_literal()) return literal(false);
        throw Fail{at_end() ? "Missing argument" : "Expected a string"};
    }
    std::string astring() {
        if (peek() == '"' || at_literal()) return string();
        const auto a = span(astring_char);
        if (a.empty()) throw Fail{at_end() ? "Missing argument" : "Invalid argument"};
        return std::string(a);
    }
    // nstring: NIL is "".
    std::string nstring_or_astring() {
        if (word("NIL")) return {};
        return astring();
    }
    std::string mailbox() {
        std::string m = astring();
        if (iequals(m, "INBOX")) m = "INBOX";  // RFC 9051 section 5.1: INBOX is case-insensitive
        return m;
    }
    // list-mailbox: 1*list-char / string.
    std::string list_mailbox() {
        if (peek() == '"' || at_literal()) return string();
        const auto a = span(list_char);
        if (a.empty()) throw Fail{at_end() ? "Missing argument" : "Invalid mailbox pattern"};
        return std::string(a);
    }
    void add_string(std::string v, std::size_t max) {
        if (c_.strings.size() >= max) throw Fail{"Too many arguments"};
        c_.strings.push_back(std::move(v));
    }

    // ---- the tag and the command's name ----

    void read_tag() {
        const auto t = span(tag_char);
        if (t.empty()) throw Fail{at_end() ? "Empty command" : "Invalid tag"};
        if (!at_end() && peek() != ' ') throw Fail{"Invalid tag"};
        c_.tag = t;
    }

    Name read_name(bool after_uid) {
        const auto n = span(atom_char);
        if (n.empty()) throw Fail{at_end() ? "Missing command" : "Unknown command"};
        for (const auto& k : command_names)
            if (iequals(n, k.name)) {
                if (k.name == "UID") {
                    if (after_uid) break;
                    c_.uid = true;
                    sp();
                    const Name inner = read_name(true);
                    switch (inner) {
                    case Name::copy: case Name::move: case Name::fetch: case Name::search: case Name::store:
                    case Name::expunge:
                        return inner;
                    default:
                        throw Fail{"UID takes COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE"};
                    }
                }
                return k.value;
            }
        throw Fail{"Unknown command"};
    }

    void read_command() {
        c_.name = read_name(false);
        switch (c_.name) {
        case Name::capability: case Name::noop: case Name::logout: case Name::starttls: case Name::namespace_:
        case Name::idle: case Name::check: case Name::close: case Name::unselect:
            return;
        case Name::expunge:
            if (c_.uid) {
                sp();
                c_.set = sequence_set();
            }
            return;
        case Name::login:
            sp();
            c_.strings.push_back(astring());
            sp();
            c_.strings.push_back(astring());
            return;
        case Name::authenticate: return authenticate();
        case Name::select: case Name::examine: return select();
        case Name::create: case Name::delete_: case Name::subscribe: case Name::unsubscribe:
            sp();
            c_.mailbox = mailbox();
            return;
        case Name::rename:
            sp();
            c_.mailbox = mailbox();
            sp();
            c_.mailbox2 = mailbox();
            return;
        case Name::list: return list();
        case Name::lsub:
            sp();
            c_.strings.push_back(astring());
            sp();
            c_.strings.push_back(list_mailbox());
            return;
        case Name::status:
            sp();
            c_.mailbox = mailbox();
            sp();
            c_.status = status_items();
            return;
        case Name::append: return append();
        case Name::enable:
            do {
                sp();
                add_string(std::string(atom()), limits_.max_strings);
            } while (!at_end());
            return;
        case Name::id: return id();
        case Name::search: return search();
        case Name::fetch: return fetch();
        case Name::store: return store();
        case Name::copy: case Name::move:
            sp();
            c_.set = sequence_set();
            sp();
            c_.mailbox = mailbox();
            return;
        }
    }

    // ---- AUTHENTICATE (RFC 9051 6.2.2, RFC 4959 SASL-IR) ----

    void authenticate() {
        sp();
        c_.strings.emplace_back(atom("Invalid mechanism"));
        if (!take(' ')) return;
        const auto ir = span([](unsigned char ch) {
            return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || digit(static_cast<char>(ch)) || ch == '+' ||
                   ch == '/' || ch == '=';
        });
        if (ir.empty()) throw Fail{at_end() ? "Missing argument" : "Invalid initial response"};
        c_.strings.emplace_back(ir);
    }

    // ---- sequence sets (RFC 9051 section 9, RFC 5182 "$") ----

    std::uint32_t seq_number() {
        if (take('*')) return star;
        return nz_number("Invalid sequence set");
    }
    SequenceSet sequence_set() {
        SequenceSet set;
        if (take('$')) {
            set.saved = true;
        } else {
            do {
                if (set.ranges.size() >= limits_.max_set_ranges) throw Fail{"Sequence set too long"};
                SeqRange r;
                r.first = r.last = seq_number();
                if (take(':')) r.last = seq_number();
                set.ranges.push_back(r);
            } while (take(','));
        }
        if (!at_end() && peek() != ' ' && peek() != ')') throw Fail{"Invalid sequence set"};
        return set;
    }

    // ---- flags (RFC 9051 section 2.3.2) ----

    void flag() {
        if (take('\\')) {
            const auto f = span(atom_char);
            if (iequals(f, "Seen")) c_.flags.system |= store::flag_seen;
            else if (iequals(f, "Answered")) c_.flags.system |= store::flag_answered;
            else if (iequals(f, "Flagged")) c_.flags.system |= store::flag_flagged;
            else if (iequals(f, "Deleted")) c_.flags.system |= store::flag_deleted;
            else if (iequals(f, "Draft")) c_.flags.system |= store::flag_draft;
            else if (iequals(f, "Recent")) c_.flag_recent = true;
            else throw Fail{"Invalid system flag"};
            return;
        }
        const auto k = atom("Invalid flag");
        if (c_.flags.keywords.size() >= limits_.max_flags) throw Fail{"Too many flags"};
        c_.flags.keywords.emplace_back(k);
    }
    void flag_list() {
        open();
        if (!take(')')) {
            do flag();
            while (take(' '));
            close();
        }
        sort_keywords();
    }
    void sort_keywords() {
        auto& k = c_.flags.keywords;
        std::sort(k.begin(), k.end());
        k.erase(std::unique(k.begin(), k.end()), k.end());
    }

    // ---- dates (RFC 9051 section 9: date, date-time) ----

    unsigned month() {
        if (s_.size() - p_ < 3) throw Fail{"Invalid date"};
        for (unsigned m = 0; m < months.size(); ++m)
            if (iequals(s_.substr(p_, 3), months[m])) {
                p_ += 3;
                return m + 1;
            }
        throw Fail{"Invalid date"};
    }
    unsigned fixed_digits(std::size_t n, const char* what) {
        unsigned v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (!digit(peek())) throw Fail{what};
            v = v * 10 + static_cast<unsigned>(s_[p_++] - '0');
        }
        return v;
    }
    std::chrono::sys_days ymd(unsigned d, unsigned m, unsigned y) {
        const std::chrono::year_month_day date{std::chrono::year{static_cast<int>(y)}, std::chrono::month{m},
                                               std::chrono::day{d}};
        if (!date.ok()) throw Fail{"Invalid date"};
        return std::chrono::sys_days{date};
    }
    // date-text "d-Mon-yyyy", quoted or not.
    std::chrono::sys_days date() {
        const bool q = take('"');
        unsigned d = fixed_digits(1, "Invalid date");
        if (digit(peek())) d = d * 10 + fixed_digits(1, "Invalid date");
        expect('-', "Invalid date");
        const unsigned m = month();
        expect('-', "Invalid date");
        const unsigned y = fixed_digits(4, "Invalid date");
        if (q) expect('"', "Invalid date");
        return ymd(d, m, y);
    }
    // date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (date-day-fixed: " d" or "dd").
    void date_time() {
        constexpr const char* bad = "Invalid date-time";
        expect('"', bad);
        take(' ');
        unsigned d = fixed_digits(1, bad);
        if (digit(peek())) d = d * 10 + fixed_digits(1, bad);
        expect('-', bad);
        const unsigned m = month();
        expect('-', bad);
        const unsigned y = fixed_digits(4, bad);
        expect(' ', bad);
        const unsigned hh = fixed_digits(2, bad);
        expect(':', bad);
        const unsigned mm = fixed_digits(2, bad);
        expect(':', bad);
        const unsigned ss = fixed_digits(2, bad);
        expect(' ', bad);
        int sign = 1;
        if (take('-')) sign = -1;
        else expect('+', bad);
        const unsigned zh = fixed_digits(2, bad);
        const unsigned zm = fixed_digits(2, bad);
        expect('"', bad);
        if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59) throw Fail{bad};
        const int zone = sign * static_cast<int>(zh * 60 + zm);
        c_.append_zone_minutes = static_cast<std::int16_t>(zone);
        c_.append_date = std::chrono::time_point_cast<std::chrono::seconds>(ymd(d, m, y)) +
                         std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss} -
                         std::chrono::minutes{zone};
    }

    // ---- SELECT / EXAMINE (RFC 7162 3.1.8 CONDSTORE, 3.2.5 QRESYNC) ----

    void select() {
        sp();
        c_.mailbox = mailbox();
        if (!take(' ')) return;
        open();
        do {
            if (word("CONDSTORE")) {
                c_.condstore = true;
            } else if (word("QRESYNC")) {
                if (c_.qresync) throw Fail{"QRESYNC given twice"};
                sp();
                open();
                Qresync q;
                q.uidvalidity = nz_number("Invalid UIDVALIDITY");
                sp();
                q.modseq = digits(max_number64, true, "Invalid mod-sequence");
                if (take(' ')) {
                    if (peek() != '(') {
                        q.known_uids = sequence_set();
                        if (take(' ')) seq_match(q);
                    } else {
                        seq_match(q);
                    }
                }
                close();
                c_.qresync = std::move(q);
            } else {
                throw Fail{"Unknown SELECT parameter"};
            }
        } while (take(' '));
        close();
    }
    void seq_match(Qresync& q) {
        open();
        SequenceSet seqs = sequence_set();
        sp();
        SequenceSet uids = sequence_set();
        close();
        q.seq_match.emplace(std::move(seqs), std::move(uids));
    }

    // ---- LIST (RFC 9051 6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154) ----

    void list() {
        sp();
        auto& o = c_.list;
        if (take('(')) {
            o.extended = true;
            if (!take(')')) {
                do {
                    if (word("SUBSCRIBED")) o.subscribed = true;
                    else if (word("REMOTE")) o.remote = true;
                    else if (word("RECURSIVEMATCH")) o.recursive_match = true;
                    else if (word("SPECIAL-USE")) o.special_use = true;
                    else throw Fail{"Unknown LIST selection option"};
                } while (take(' '));
                close();
            }
            // RFC 5258 section 3: RECURSIVEMATCH needs another selection option to apply to.
            if (o.recursive_match && !o.subscribed && !o.special_use) throw Fail{"RECURSIVEMATCH alone"};
            sp();
        }
        c_.strings.push_back(astring());  // the reference
        sp();
        if (take('(')) {
            o.extended = true;
            do add_string(list_mailbox(), limits_.max_strings + 1);
            while (take(' '));
            close();
        } else {
            c_.strings.push_back(list_mailbox());
        }
        if (!take(' ')) return;
        if (!word("RETURN")) throw Fail{"Expected RETURN"};
        o.extended = true;
        sp();
        open();
        if (take(')')) return;
        do {
            if (word("SUBSCRIBED")) o.return_subscribed = true;
            else if (word("CHILDREN")) o.return_children = true;
            else if (word("SPECIAL-USE")) o.return_special_use = true;
            else if (word("STATUS")) {
                sp();
                o.return_status = status_items();
            } else throw Fail{"Unknown LIST return option"};
        } while (take(' '));
        close();
    }

    // ---- STATUS (RFC 9051 6.3.11, RFC 8438 SIZE, RFC 7162 HIGHESTMODSEQ) ----

    StatusItems status_items() {
        StatusItems st;
        open();
        do {
            if (word("MESSAGES")) st.messages = true;
            else if (word("RECENT")) st.recent = true;
            else if (word("UIDNEXT")) st.uidnext = true;
            else if (word("UIDVALIDITY")) st.uidvalidity = true;
            else if (word("UNSEEN")) st.unseen = true;
            else if (word("SIZE")) st.size = true;
            else if (word("HIGHESTMODSEQ")) st.highestmodseq = true;
            else if (word("DELETED")) st.deleted = true;
            else throw Fail{at_end() ? "Missing argument" : "Unknown STATUS item"};
        } while (take(' '));
        close();
        return st;
    }

    // ---- APPEND (RFC 9051 6.3.12, RFC 3516 literal8) ----

    void append() {
        sp();
        c_.mailbox = mailbox();
        sp();
        if (peek() == '(') {
            flag_list();
            sp();
        }
        if (peek() == '"') {
            date_time();
            sp();
        }
        if (!at_literal()) throw Fail{at_end() ? "Missing argument" : "Expected the message as a literal"};
        c_.message = literal(true);
    }

    // ---- ID (RFC 2971) ----

    void id() {
        sp();
        if (word("NIL")) return;
        open();
        if (take(')')) return;
        do {
            if (c_.strings.size() >= 2 * limits_.max_strings) throw Fail{"Too many ID fields"};
            c_.strings.push_back(astring());
            sp();
            c_.strings.push_back(nstring_or_astring());
        } while (take(' '));
        close();
    }

    // ---- FETCH (RFC 9051 6.4.5, RFC 3516, RFC 7162 3.1.4 and 3.2.6) ----

    void fetch() {
        sp();
        c_.set = sequence_set();
        sp();
        if (take('(')) {
            do add_fetch(fetch_att());
            while (take(' '));
            close();
        } else if (word("ALL")) {
            macro(false, true);
        } else if (word("FAST")) {
            macro(false, false);
        } else if (word("FULL")) {
            macro(true, true);
        } else {
            add_fetch(fetch_att());
        }
        if (!take(' ')) return;
        open();
        do {
            if (word("CHANGEDSINCE")) {
                if (c_.changed_since) throw Fail{"CHANGEDSINCE given twice"};
                sp();
                c_.changed_since = number64("Invalid mod-sequence");
            } else if (word("VANISHED")) {
                c_.vanished = true;
            } else {
                throw Fail{"Unknown FETCH modifier"};
            }
        } while (take(' '));
        close();
        // RFC 7162 section 3.2.6: VANISHED only in UID FETCH, with CHANGEDSINCE.
        if (c_.vanished && (!c_.uid || !c_.changed_since)) throw Fail{"VANISHED needs UID FETCH and CHANGEDSINCE"};
    }
    void add_fetch(FetchItem item) {
        if (c_.fetch.size() >= limits_.max_fetch_items) throw Fail{"Too many FETCH items"};
        c_.fetch.push_back(std::move(item));
    }
    void macro(bool body, bool envelope) {
        for (const auto k : {FetchItem::Kind::flags, FetchItem::Kind::internaldate, FetchItem::Kind::rfc822_size}) {
            FetchItem i;
            i.kind = k;
            add_fetch(i);
        }
        if (envelope) add_fetch(FetchItem{FetchItem::Kind::envelope});
        if (body) add_fetch(FetchItem{FetchItem::Kind::body});
    }
    FetchItem fetch_att() {
        using K = FetchItem::Kind;
        const auto name = span([](unsigned char ch) { return atom_char(ch) && ch != '[' && ch != '<'; });
        if (name.empty()) throw Fail{at_end() ? "Missing argument" : "Invalid FETCH item"};
        FetchItem item;
        static constexpr std::array<std::pair<std::string_view, K>, 10> simple{{
            {"FLAGS", K::flags}, {"UID", K::uid}, {"INTERNALDATE", K::internaldate}, {"RFC822.SIZE", K::rfc822_size},
            {"RFC822", K::rfc822}, {"RFC822.HEADER", K::rfc822_header}, {"RFC822.TEXT", K::rfc822_text},
            {"ENVELOPE", K::envelope}, {"BODYSTRUCTURE", K::bodystructure}, {"MODSEQ", K::modseq},
        }};
        for (const auto& [n, k] : simple)
            if (iequals(name, n)) {
                item.kind = k;
                return item;
            }
        if (iequals(name, "BODY")) {
            if (peek() != '[') {
                item.kind = K::body;
                return item;
            }
            item.kind = K::body_section;
            item.section = section();
        } else if (iequals(name, "BODY.PEEK")) {
            item.kind = K::body_section;
            item.peek = true;
            item.section = section();
        } else if (iequals(name, "BINARY") || iequals(name, "BINARY.PEEK")) {
            item.kind = K::binary;
            item.peek = name.size() > 6;
            item.section.part = section_binary();
        } else if (iequals(name, "BINARY.SIZE")) {
            item.kind = K::binary_size;
            item.section.part = section_binary();
            return item;
        } else {
            throw Fail{"Invalid FETCH item"};
        }
        if (take('<')) {
            Partial part;
            part.offset = number64("Invalid partial");
            expect('.', "Invalid partial");
            part.length = digits(max_number64, true, "Invalid partial");
            expect('>', "Invalid partial");
            item.partial = part;
        }
        return item;
    }
    void section_part(std::vector<std::uint32_t>& part) {
        do {
            if (part.size() >= 100) throw Fail{"Section part too deep"};
            part.push_back(nz_number("Invalid section"));
        } while (peek() == '.' && p_ + 1 < s_.size() && digit(s_[p_ + 1]) && take('.'));
    }
    std::vector<std::uint32_t> section_binary() {
        expect('[', "Expected a section");
        std::vector<std::uint32_t> part;
        if (!take(']')) {
            section_part(part);
            expect(']', "Invalid section");
        }
        return part;
    }
    Section section() {
        expect('[', "Expected a section");
        Section sec;
        if (take(']')) return sec;
        if (digit(peek())) {
            section_part(sec.part);
            if (take(']')) return sec;
            expect('.', "Invalid section");
        }
        const auto t = span([](unsigned char ch) { return atom_char(ch) && ch != '['; });
        using T = Section::Text;
        if (iequals(t, "HEADER")) sec.text = T::header;
        else if (iequals(t, "TEXT")) sec.text = T::text;
        else if (iequals(t, "MIME") && !sec.part.empty()) sec.text = T::mime;
        else if (iequals(t, "HEADER.FIELDS")) sec.text = T::header_fields;
        else if (iequals(t, "HEADER.FIELDS.NOT")) sec.text = T::header_fields_not;
        else throw Fail{"Invalid section"};
        if (sec.text == T::header_fields || sec.text == T::header_fields_not) {
            sp();
            open();
            do {
                if (sec.fields.size() >= limits_.max_header_fields) throw Fail{"Too many header fields"};
                sec.fields.push_back(astring());
            } while (take(' '));
            close();
        }
        expect(']', "Invalid section");
        return sec;
    }

    // ---- STORE (RFC 9051 6.4.6, RFC 7162 3.1.3 UNCHANGEDSINCE) ----

    void store() {
        sp();
        c_.set = sequence_set();
        sp();
        if (take('(')) {
            if (!word("UNCHANGEDSINCE")) throw Fail{"Unknown STORE modifier"};
            sp();
            c_.unchanged_since = number64("Invalid mod-sequence");
            close();
            sp();
        }
        if (take('+')) c_.flag_op = store::FlagOp::add;
        else if (take('-')) c_.flag_op = store::FlagOp::remove;
        if (word("FLAGS.SILENT")) c_.silent = true;
        else if (!word("FLAGS")) throw Fail{"Expected FLAGS, +FLAGS or -FLAGS"};
        sp();
        if (peek() == '(') {
            flag_list();
            return;
        }
        do flag();
        while (take(' '));
        sort_keywords();
    }

    // ---- SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731 ESEARCH, RFC 7162 3.1.5 MODSEQ) ----

    void search() {
        sp();
        if (word("RETURN")) {
            auto& r = c_.search_return;
            r.given = true;
            sp();
            open();
            if (take(')')) {
                r.all = true;  // RFC 4731 section 3.1: "RETURN ()" is "RETURN (ALL)"
            } else {
                do {
                    if (word("MIN")) r.min = true;
                    else if (word("MAX")) r.max = true;
                    else if (word("ALL")) r.all = true;
                    else if (word("COUNT")) r.count = true;
                    else if (word("SAVE")) r.save = true;
                    else throw Fail{"Unknown SEARCH return option"};
                } while (take(' '));
                close();
            }
            sp();
        }
        if (word("CHARSET")) {
            sp();
            c_.charset = peek() == '"' ? quoted() : std::string(atom("Invalid charset"));
            sp();
        }
        c_.search.kind = SearchKey::Kind::and_;
        do c_.search.children.push_back(search_key(1));
        while (take(' '));
    }

    SearchKey search_key(std::size_t depth) {
        using K = SearchKey::Kind;
        if (++keys_ > limits_.max_search_keys) throw Fail{"Too many search keys"};
        if (depth > limits_.max_search_depth) throw Fail{"Search nested too deeply"};
        SearchKey k;
        const char ch = peek();
        if (ch == '(') {
            ++p_;
            k.kind = K::and_;
            do k.children.push_back(search_key(depth + 1));
            while (take(' '));
            close();
            return k;
        }
        if (digit(ch) || ch == '*' || ch == '$') {
            k.kind = K::sequence;
            k.set = sequence_set();
            return k;
        }
        const auto w = span(atom_char);
        if (w.empty()) throw Fail{at_end() ? "Missing argument" : "Invalid search key"};
        static constexpr auto flags = std::to_array<std::pair<std::string_view, K>>({
            {"ALL", K::all}, {"ANSWERED", K::answered}, {"DELETED", K::deleted}, {"DRAFT", K::draft},
            {"FLAGGED", K::flagged}, {"SEEN", K::seen}, {"RECENT", K::recent}, {"NEW", K::new_}, {"OLD", K::old},
            {"UNANSWERED", K::unanswered}, {"UNDELETED", K::undeleted}, {"UNDRAFT", K::undraft},
            {"UNFLAGGED", K::unflagged}, {"UNSEEN", K::unseen},
        });
        for (const auto& [n, kind] : flags)
            if (iequals(w, n)) {
                k.kind = kind;
                return k;
            }
        static constexpr std::array<std::pair<std::string_view, K>, 7> strings{{
            {"BCC", K::bcc}, {"CC", K::cc}, {"FROM", K::from}, {"TO", K::to}, {"SUBJECT", K::subject},
            {"BODY", K::body}, {"TEXT", K::text},
        }};
        for (const auto& [n, kind] : strings)
            if (iequals(w, n)) {
                k.kind = kind;
                sp();
                k.text = astring();
                return k;
            }
        static constexpr std::array<std::pair<std::string_view, K>, 6> dates{{
            {"BEFORE", K::before}, {"ON", K::on}, {"SINCE", K::since},
            {"SENTBEFORE", K::sentbefore}, {"SENTON", K::senton}, {"SENTSINCE", K::sentsince},
        }};
        for (const auto& [n, kind] : dates)
            if (iequals(w, n)) {
                k.kind = kind;
                sp();
                k.date = date();
                return k;
            }
        if (iequals(w, "KEYWORD") || iequals(w, "UNKEYWORD")) {
            k.kind = w.size() == 7 ? K::keyword : K::unkeyword;
            sp();
            k.text = atom("Invalid keyword");
        } else if (iequals(w, "HEADER")) {
            k.kind = K::header;
            sp();
            k.field = astring();
            sp();
            k.text = astring();
        } else if (iequals(w, "LARGER") || iequals(w, "SMALLER")) {
            k.kind = w.size() == 6 ? K::larger : K::smaller;
            sp();
            k.number = number64();
        } else if (iequals(w, "UID")) {
            k.kind = K::uid;
            sp();
            k.set = sequence_set();
        } else if (iequals(w, "NOT")) {
            k.kind = K::not_;
            sp();
            k.children.push_back(search_key(depth + 1));
        } else if (iequals(w, "OR")) {
            k.kind = K::or_;
            sp();
            k.children.push_back(search_key(depth + 1));
            sp();
            k.children.push_back(search_key(depth + 1));
        } else if (iequals(w, "MODSEQ")) {
            k.kind = K::modseq;
            sp();
            // RFC 7162 3.1.5: [entry-name SP entry-type-req SP]; this server keeps no per-flag modseqs.
            if (peek() == '"') {
                quoted();
                sp();
                if (!word("priv") && !word("shared") && !word("all")) throw Fail{"Invalid MODSEQ entry type"};
                sp();
            }
            k.number = number64("Invalid mod-sequence");
        } else {
            throw Fail{"Unknown search key"};
        }
        return k;
    }

    std::string_view s_;
    std::size_t p_ = 0;
    const ParserLimits& limits_;
    Command c_;
    std::size_t keys_ = 0;
};

}  // namespace

std::variant<Command, ParseError> parse_command(std::string_view text, const ParserLimits& limits) {
    return Parser(text, limits).run();
}

}  // namespace mxlab::imap
