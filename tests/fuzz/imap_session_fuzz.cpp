// libFuzzer target for the IMAP session's pure core: commands read and parsed, sets resolved, FETCH rendered, SEARCH evaluated, STORE and EXPUNGE applied, and the selected mailbox's view kept in step with a store that others change, as mail/imap/session*.cpp, selected.cpp, fetch_command.cpp and search_command.cpp do.
//
// The session itself needs Asio and RocksDB, which the fuzz compiler cannot
// build; this drives mxlab_imap_core the same way over an in-memory store.
//
// Input: one byte for the piece size (client bytes are fed 1 to 64 at a
// time), one byte of switches (CONDSTORE, QRESYNC, IMAP4rev2 enabled; EXAMINE
// rather than SELECT; a small inline limit, so big literals are left to
// stream), one byte N, then N control bytes, then what the client sends. The
// control bytes are read as needed: first the mailbox (a count, then a
// message and its flags each), then before each command the store events
// (deliveries, flag changes and expunges by another session, and the store
// forgetting its expunges, so the next look is a full resync). APPEND adds
// its message to the store as well, so the fuzzer can write its own MIME.
//
// Checks, besides nothing crashing: after each step the msn -> UID list a
// client builds from the untagged responses alone (EXISTS, EXPUNGE,
// VANISHED, and the flags FETCH reports) equals the view's; after a sync
// that may expunge, equals the store's; RFC 9051 7.5.1 (no EXPUNGE during
// FETCH, STORE, SEARCH by number) holds; a FETCH response is well formed,
// streams only bytes of its message, and stays bounded by the message's size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mail/codec/mime.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/fetch.hpp"
#include "mail/imap/line_ends.hpp"
#include "mail/imap/reader.hpp"
#include "mail/imap/search.hpp"
#include "mail/imap/view.hpp"

namespace {

using namespace mxlab;
using namespace mxlab::imap;
using store::Uid;

void check(bool ok) {
    if (!ok) std::abort();
}

// One "* n FETCH (...)\r\n" with its streamed ranges in place, as RFC 9051
// section 9 reads it: outside quoted strings and literals, printable ASCII
// and balanced parentheses; quoted strings without CR, LF or 8-bit bytes;
// literals as long as they say, and a BODY literal (not BINARY's "~{n}")
// without NUL; one CRLF, at the end.
void check_response(std::string_view s) {
    check(s.ends_with(")\r\n"));
    s.remove_suffix(2);
    int depth = 0;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const bool literal8 = c == '~' && i + 1 < s.size() && s[i + 1] == '{';
        if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
            check(depth >= 0);
            ++i;
        } else if (c == '"') {
            for (++i;; ++i) {
                check(i < s.size());
                const auto q = static_cast<unsigned char>(s[i]);
                check(q != '\r' && q != '\n' && q != 0 && q < 0x80);
                if (q == '\\') {
                    check(i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\'));
                    ++i;
                } else if (q == '"') {
                    ++i;
                    break;
                }
            }
        } else if (c == '{' || literal8) {
            const std::size_t open = i + (literal8 ? 2 : 1);
            const std::size_t close = s.find("}\r\n", open);
            check(close != std::string_view::npos && close > open && close - open <= 20);
            std::uint64_t n = 0;
            for (std::size_t k = open; k < close; ++k) {
                check(s[k] >= '0' && s[k] <= '9');
                n = n * 10 + static_cast<std::uint64_t>(s[k] - '0');
            }
            i = close + 3;
            check(n <= s.size() - i);
            if (!literal8) check(s.substr(i, n).find('\0') == std::string_view::npos);
            i += n;
        } else {
            check(c >= 0x20 && c < 0x7f);
            ++i;
        }
    }
    check(depth == 0);
}

// Small messages of the shapes FETCH and SEARCH look into.
const char* const kTemplates[] = {
    // plain text
    "Date: Tue, 8 Dec 2026 09:15:00 +0800\r\n"
    "From: Will Fisk <wfisk@bigsky.com>\r\n"
    "To: bob@sina.com, \"Jack Ma\" <jack@sina.com>\r\n"
    "Subject: lunch\r\n"
    "Message-ID: <1@bigsky.com>\r\n"
    "\r\n"
    "See you at noon.\r\n",
    // multipart/mixed, quoted-printable text and a base64 attachment
    "From: bob@sina.com\r\n"
    "To: wfisk@bigsky.com\r\n"
    "Cc: undisclosed-recipients:;\r\n"
    "Subject: =?UTF-8?B?5Y2I6aSQ?= report\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 at one=\r\n"
    " o'clock\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream; name=\"r.bin\"\r\n"
    "Content-Disposition: attachment; filename*=utf-8''r%C3%A9.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwQFBgcICQ==\r\n"
    "--b1--\r\n"
    "epilogue\r\n",
    // an embedded message inside multipart/alternative
    "From: \"Alerts\" <alerts@bigsky.com>\r\n"
    "Subject: fwd\r\n"
    "Content-Type: multipart/alternative; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "\r\n"
    "<p>caf\xe9</p>\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: jack@sina.com\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/mixed; boundary=in\r\n"
    "\r\n"
    "--in\r\n"
    "\r\n"
    "inner body\r\n"
    "--in--\r\n"
    "--outer--\r\n",
    // an encoding BINARY can't undo, a NUL, a header without a body
    "Subject: odd\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "a\0b\r\n",
    "Subject: no body\r\n",
    // bare LFs and a digest
    "From: list@bigsky.com\n"
    "Content-Type: multipart/digest; boundary=d\n"
    "\n"
    "--d\n"
    "\n"
    "Subject: one\n"
    "\n"
    "first\n"
    "--d\n"
    "Content-Type: message/global\n"
    "\n"
    "Subject: two\n"
    "\n"
    "second\n"
    "--d--\n",
};
constexpr std::size_t kTemplateCount = sizeof kTemplates / sizeof kTemplates[0];
// The NUL is in the template: sizes are given, not read from strlen.
const std::size_t kTemplateSizes[] = {
    std::char_traits<char>::length(kTemplates[0]), std::char_traits<char>::length(kTemplates[1]),
    std::char_traits<char>::length(kTemplates[2]), std::char_traits<char>::length(kTemplates[3]) + 5,
    std::char_traits<char>::length(kTemplates[4]), std::char_traits<char>::length(kTemplates[5]),
};
static_assert(sizeof kTemplateSizes / sizeof kTemplateSizes[0] == kTemplateCount);

struct Body {
    std::string bytes;
    codec::MessageStructure structure;
};

std::shared_ptr<const Body> make_body(std::string bytes) {
    auto b = std::make_shared<Body>();
    b->bytes = std::move(bytes);
    b->structure = codec::parse_mime(b->bytes);
    return b;
}

const std::vector<std::shared_ptr<const Body>>& templates() {
    static const auto all = [] {
        std::vector<std::shared_ptr<const Body>> v;
        for (std::size_t i = 0; i < kTemplateCount; ++i) v.push_back(make_body(std::string(kTemplates[i], kTemplateSizes[i])));
        return v;
    }();
    return all;
}

// The control bytes, read as needed; 0 once they run out.
class Control {
public:
    explicit Control(std::string_view bytes) : bytes_(bytes) {}
    std::uint8_t next() { return pos_ < bytes_.size() ? static_cast<std::uint8_t>(bytes_[pos_++]) : 0; }

private:
    std::string_view bytes_;
    std::size_t pos_ = 0;
};

store::Flags flags_from(std::uint8_t b) {
    static const char* const words[] = {"$Forwarded", "$Junk", "work"};
    store::Flags f;
    f.system = b & 31;
    for (int i = 0; i < 3; ++i)
        if (b & (32 << i)) f.keywords.push_back(words[i]);
    return f;
}

// The store as one mailbox: what changes_since(), messages(), store_flags() and expunge() see.
struct ModelStore {
    struct Entry {
        std::shared_ptr<const Body> body;
        store::MessageInfo info;
    };
    std::map<Uid, Entry> messages;
    std::vector<std::pair<store::ModSeq, Uid>> expunge_log;
    store::ModSeq modseq = 1;
    Uid uidnext = 1;
    store::ModSeq forgotten = 0;  // expunges up to here are no longer kept: changes_since is too_old

    Uid deliver(std::shared_ptr<const Body> body, store::Flags flags) {
        const Uid uid = uidnext++;
        Entry e;
        e.info.uid = uid;
        e.info.flags = std::move(flags);
        e.info.modseq = ++modseq;
        e.info.size = body->bytes.size();
        e.info.internal_date = store::Time(std::chrono::seconds(1'765'000'000 + 3600 * uid));
        e.info.zone_minutes = static_cast<std::int16_t>(uid % 3 == 0 ? 480 : uid % 3 == 1 ? -300 : 0);
        e.body = std::move(body);
        messages.emplace(uid, std::move(e));
        return uid;
    }
    Uid pick(std::uint8_t b) const { return messages.empty() ? 0 : std::next(messages.begin(), b % messages.size())->first; }

    store::FlagChange set_flags(Uid uid, store::FlagOp op, const store::Flags& f) {
        auto& info = messages.at(uid).info;
        store::Flags next = info.flags;
        std::vector<std::string> kw;
        switch (op) {
        case store::FlagOp::replace: next = f; break;
        case store::FlagOp::add:
            next.system |= f.system;
            std::set_union(info.flags.keywords.begin(), info.flags.keywords.end(), f.keywords.begin(), f.keywords.end(),
                           std::back_inserter(kw));
            next.keywords = std::move(kw);
            break;
        case store::FlagOp::remove:
            next.system &= static_cast<std::uint8_t>(~f.system);
            std::set_difference(info.flags.keywords.begin(), info.flags.keywords.end(), f.keywords.begin(),
                                f.keywords.end(), std::back_inserter(kw));
            next.keywords = std::move(kw);
            break;
        }
        if (next == info.flags) return {uid, info.flags, info.modseq, false};
        info.flags = std::move(next);
        info.modseq = ++modseq;
        return {uid, info.flags, info.modseq, true};
    }
    // The UIDs of `uids` that were there and are now gone.
    std::vector<Uid> expunge(const std::vector<Uid>& uids, bool only_deleted) {
        std::vector<Uid> gone;
        for (Uid uid : uids) {
            auto it = messages.find(uid);
            if (it == messages.end() || (only_deleted && !it->second.info.flags.has(store::flag_deleted))) continue;
            if (gone.empty()) ++modseq;
            messages.erase(it);
            expunge_log.emplace_back(modseq, uid);
            gone.push_back(uid);
        }
        return gone;
    }
    void forget_expunges() {
        forgotten = modseq;
        expunge_log.clear();
    }
    std::vector<Uid> all() const {
        std::vector<Uid> out;
        for (const auto& [uid, e] : messages) out.push_back(uid);
        return out;
    }
    std::vector<store::MessageInfo> listing() const {
        std::vector<store::MessageInfo> out;
        for (const auto& [uid, e] : messages) out.push_back(e.info);
        return out;
    }
    store::Changes changes_since(store::ModSeq since) const {
        store::Changes c;
        c.highest_modseq = modseq;
        c.uidnext = uidnext;
        if (since < forgotten) {
            c.too_old = true;
            return c;
        }
        for (const auto& [uid, e] : messages)
            if (e.info.modseq > since) c.changed.push_back({uid, e.info.flags, e.info.modseq, true});
        for (const auto& [m, uid] : expunge_log)
            if (m > since) c.vanished.push_back(uid);
        std::sort(c.vanished.begin(), c.vanished.end());
        return c;
    }
};

// A client that knows only what the untagged responses told it.
struct ModelClient {
    std::vector<Uid> uids;  // by msn - 1
    std::vector<store::Flags> flags;
    std::uint32_t recent = 0;

    void learn(const MailboxView& view, std::uint32_t msn) {
        uids.push_back(view.at(msn).uid);
        flags.push_back(view.at(msn).flags);
    }

    static std::uint64_t number(std::string_view s) {
        check(!s.empty() && s.size() <= 10);
        std::uint64_t n = 0;
        for (char c : s) {
            check(c >= '0' && c <= '9');
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        return n;
    }

    static store::Flags parse_flags(std::string_view list) {
        store::Flags f;
        std::istringstream words{std::string(list)};
        std::string word;
        static const std::pair<std::string_view, store::SystemFlag> system[] = {
            {"\\Seen", store::flag_seen},       {"\\Answered", store::flag_answered}, {"\\Flagged", store::flag_flagged},
            {"\\Deleted", store::flag_deleted}, {"\\Draft", store::flag_draft}};
        while (words >> word) {
            const auto* known = std::find_if(std::begin(system), std::end(system), [&](const auto& s) { return s.first == word; });
            if (known != std::end(system)) f.system |= known->second;
            else if (word != "\\Recent") f.keywords.push_back(word);
        }
        std::sort(f.keywords.begin(), f.keywords.end());
        return f;
    }

    // What flush() wrote; `expunges`: whether it was allowed to renumber.
    void read(std::string_view out, bool expunges, bool condstore, const MailboxView& view) {
        while (!out.empty()) {
            const auto end = out.find("\r\n");
            check(end != std::string_view::npos);
            const std::string_view line = out.substr(0, end);
            out.remove_prefix(end + 2);
            check(line.starts_with("* "));
            std::string_view rest = line.substr(2);
            if (rest.starts_with("VANISHED ")) {
                check(expunges);
                std::string_view set = rest.substr(9);
                while (!set.empty()) {
                    const auto comma = set.find(',');
                    const std::string_view range = set.substr(0, comma);
                    set = comma == std::string_view::npos ? std::string_view() : set.substr(comma + 1);
                    const auto colon = range.find(':');
                    const std::uint64_t first = number(range.substr(0, colon));
                    const std::uint64_t last = colon == std::string_view::npos ? first : number(range.substr(colon + 1));
                    check(first <= last && last - first < 1'000'000);
                    for (std::uint64_t uid = first; uid <= last; ++uid) {
                        auto it = std::find(uids.begin(), uids.end(), uid);
                        check(it != uids.end());  // a UID the client never had
                        flags.erase(flags.begin() + (it - uids.begin()));
                        uids.erase(it);
                    }
                }
                continue;
            }
            const auto space = rest.find(' ');
            check(space != std::string_view::npos);
            const std::uint64_t n = number(rest.substr(0, space));
            const std::string_view what = rest.substr(space + 1);
            if (what == "EXISTS") {
                check(n >= uids.size() && n <= view.exists());  // EXISTS never shrinks (RFC 9051 7.4.1)
                for (std::uint64_t msn = uids.size() + 1; msn <= n; ++msn) learn(view, static_cast<std::uint32_t>(msn));
            } else if (what == "EXPUNGE") {
                check(expunges && n >= 1 && n <= uids.size());
                uids.erase(uids.begin() + static_cast<std::ptrdiff_t>(n - 1));
                flags.erase(flags.begin() + static_cast<std::ptrdiff_t>(n - 1));
            } else if (what == "RECENT") {
                recent = static_cast<std::uint32_t>(n);
            } else {
                // "FETCH (UID u FLAGS (...)[ MODSEQ (m)])"
                check(what.starts_with("FETCH (UID ") && what.ends_with(")"));
                check(n >= 1 && n <= uids.size());
                std::string_view f = what.substr(11);
                const auto sp = f.find(' ');
                check(sp != std::string_view::npos && number(f.substr(0, sp)) == uids[n - 1]);
                f.remove_prefix(sp + 1);
                check(f.starts_with("FLAGS ("));
                const auto close = f.find(')');
                check(close != std::string_view::npos);
                flags[n - 1] = parse_flags(f.substr(7, close - 7));
                check((f.find(" MODSEQ (") != std::string_view::npos) == condstore);
            }
        }
    }
};

struct Switches {
    bool condstore = false, qresync = false, imap4rev2 = false, read_only = false, small_inline = false;
};

class Run {
public:
    Run(Control& control, Switches sw) : control_(control), sw_(sw) {
        if (sw_.qresync) sw_.condstore = true;
        for (unsigned n = control_.next() % 9; n > 0; --n) {
            const std::uint8_t b = control_.next();
            store_.deliver(templates()[b % kTemplateCount], flags_from(control_.next()));
        }
        recent_claimed_ = store_.uidnext - 1;
        select();
    }

    // Another session's work, between the client's commands.
    void events() {
        for (int i = 0; i < 8; ++i) {
            const std::uint8_t e = control_.next();
            switch (e & 7) {
            case 0: return;
            case 1:
            case 2: {  // a delivery, claimed as \Recent by this session or another
                const std::uint8_t b = control_.next();
                const Uid uid = store_.deliver(templates()[b % kTemplateCount], flags_from(control_.next()));
                if (e & 8) claim(uid);
                recent_claimed_ = uid;
                break;
            }
            case 3:
            case 4:
                if (const Uid uid = store_.pick(control_.next())) store_.set_flags(uid, store::FlagOp::replace, flags_from(control_.next()));
                break;
            case 5:
                if (const Uid uid = store_.pick(control_.next())) store_.expunge({uid}, false);
                break;
            case 6: store_.forget_expunges(); break;
            case 7: {  // a session expunging every \Deleted message
                store_.expunge(store_.all(), true);
                break;
            }
            }
            if (!(e & 16)) return;
        }
    }

    // Returns whether the next line is not a command (AUTHENTICATE's SASL response, IDLE's DONE).
    bool command(std::string_view text) {
        command_size_ = text.size();
        const auto parsed = parse_command(text);
        const auto* c = std::get_if<Command>(&parsed);
        if (!c) return false;
        execute(*c);
        return c->name == Name::authenticate || c->name == Name::idle;
    }

private:
    void execute(const Command& cmd) {
        if (cmd.name == Name::enable) {
            for (const auto& cap : cmd.strings) {
                if (cap == "CONDSTORE") sw_.condstore = true;
                if (cap == "QRESYNC") sw_.qresync = sw_.condstore = true;
                if (cap == "IMAP4rev2") sw_.imap4rev2 = true;
            }
            return;
        }
        if (cmd.name == Name::select || cmd.name == Name::examine) {
            sw_.read_only = cmd.name == Name::examine;
            select();
            return;
        }
        if (cmd.name == Name::append) {
            // Into this mailbox, as the server stores it: CRLF line ends.
            std::string bytes;
            CrlfNormalizer().feed(cmd.message, bytes);
            const Uid uid = store_.deliver(make_body(std::move(bytes)), cmd.flags);
            recent_claimed_ = uid;
            if (selected_) sync(true);
            return;
        }
        if (!selected_) return;
        if (cmd.name == Name::close || cmd.name == Name::unselect) {
            if (cmd.name == Name::close && !sw_.read_only) store_.expunge(store_.all(), true);
            selected_ = false;
            saved_.clear();
            return;
        }
        const bool numbered = (cmd.name == Name::fetch || cmd.name == Name::store || cmd.name == Name::search) && !cmd.uid;
        if (cmd.name == Name::noop || cmd.name == Name::check || cmd.name == Name::idle) {
            sync(true);
            return;
        }
        sync(!numbered);
        switch (cmd.name) {
        case Name::fetch: fetch(cmd); break;
        case Name::store: store_flags(cmd); break;
        case Name::search: search(cmd); break;
        case Name::expunge: expunge(cmd); break;
        case Name::copy:
        case Name::move:
            if (cmd.name == Name::move && !sw_.read_only) {
                const auto uids = view_.uids(resolve(cmd.set, cmd.uid));
                view_.expunged(store_.expunge(uids, false));
                sync(true);
            }
            break;
        default: break;
        }
    }

    void claim(Uid uid) {
        if (recent_ && recent_->last + 1 == uid) recent_->last = uid;
        else recent_ = store::UidRange{uid, uid};
    }

    void select() {
        std::optional<store::UidRange> recent;
        if (store_.uidnext - 1 > recent_claimed_) recent = store::UidRange{recent_claimed_ + 1, store_.uidnext - 1};
        recent_claimed_ = store_.uidnext - 1;
        recent_.reset();
        view_ = MailboxView();
        view_.open(store_.listing(), store_.modseq, store_.uidnext, recent);
        selected_ = true;
        saved_.clear();
        client_ = ModelClient();
        for (std::uint32_t msn = 1; msn <= view_.exists(); ++msn) client_.learn(view_, msn);
        client_.recent = view_.recent_count();
        std::uint32_t unseen = 0;  // SELECT's OK [UNSEEN n]
        for (std::uint32_t msn = view_.exists(); msn >= 1; --msn)
            if (!view_.at(msn).flags.has(store::flag_seen)) unseen = msn;
        check(view_.unseen_first() == unseen);
        verify(true);
    }

    // Session::sync: what the store says changed, then what the client is owed.
    void sync(bool expunges) {
        const auto changes = store_.changes_since(view_.highest_modseq());
        if (changes.too_old) view_.resync(store_.listing(), store_.modseq, store_.uidnext, recent_);
        else view_.apply(changes, recent_);
        recent_.reset();
        check(view_.highest_modseq() == store_.modseq && view_.uidnext() == store_.uidnext);
        flush(expunges);
    }

    void flush(bool expunges) {
        MailboxView::FlushOptions o;
        o.expunges = expunges;
        o.qresync = sw_.qresync;
        o.condstore = sw_.condstore;
        o.recent = !sw_.imap4rev2;
        std::string out;
        const bool wrote = view_.flush(out, o);
        check(wrote == !out.empty());
        client_.read(out, expunges, sw_.condstore, view_);
        verify(expunges);
    }

    // The client's numbers are the view's; after a flush that could expunge, the store's.
    void verify(bool settled) {
        check(client_.uids.size() == view_.exists());
        for (std::uint32_t msn = 1; msn <= view_.exists(); ++msn) {
            const auto& m = view_.at(msn);
            check(client_.uids[msn - 1] == m.uid);
            check(view_.msn_of(m.uid) == msn);
            if (!m.expunged) check(client_.flags[msn - 1] == m.flags);
        }
        if (!sw_.imap4rev2) check(client_.recent == view_.recent_count());
        if (settled) {
            check(view_.pending_expunges() == 0);
            check(client_.uids == store_.all());
        }
    }

    std::vector<std::uint32_t> resolve(const SequenceSet& set, bool uid) const {
        if (!set.saved) return view_.resolve(set, uid);
        std::vector<std::uint32_t> msns;
        for (Uid u : saved_)
            if (auto msn = view_.msn_of(u)) msns.push_back(*msn);
        std::sort(msns.begin(), msns.end());
        return msns;
    }

    static bool numbers_exist(const SequenceSet& set, std::uint32_t exists) {
        if (set.saved) return true;
        for (const auto& r : set.ranges)
            if ((r.first != star && r.first > exists) || (r.last != star && r.last > exists)) return false;
        return true;
    }

    std::vector<std::uint32_t> resolved(const Command& cmd) const {
        auto msns = resolve(cmd.set, cmd.uid);
        check(std::is_sorted(msns.begin(), msns.end()) && std::adjacent_find(msns.begin(), msns.end()) == msns.end());
        check(msns.empty() || (msns.front() >= 1 && msns.back() <= view_.exists()));
        return msns;
    }

    void fetch(const Command& cmd) {
        const auto msns = resolved(cmd);
        if (!cmd.uid && !numbers_exist(cmd.set, view_.exists())) return;
        bool condstore = sw_.condstore || cmd.changed_since.has_value();
        for (const auto& i : cmd.fetch) condstore = condstore || i.kind == FetchItem::Kind::modseq;
        sw_.condstore = condstore;
        // \Seen first (RFC 9051 6.4.5): the FETCH then reports the new FLAGS.
        std::vector<Uid> newly_seen;
        if (sets_seen(cmd.fetch) && !sw_.read_only) {
            std::vector<store::FlagChange> changes;
            store::Flags seen;
            seen.system = store::flag_seen;
            for (auto msn : msns) {
                const auto& m = view_.at(msn);
                if (m.expunged || m.flags.has(store::flag_seen) || !store_.messages.count(m.uid)) continue;
                changes.push_back(store_.set_flags(m.uid, store::FlagOp::add, seen));
                if (changes.back().changed) newly_seen.push_back(m.uid);
            }
            view_.flags_stored(changes);
            // Each response says FLAGS; a NO [UNKNOWN-CTE] part-way leaves the rest untold, and the client
            // learns at its next FETCH FLAGS: taken as told here.
            for (Uid uid : newly_seen) client_.flags[*view_.msn_of(uid) - 1] = view_.at(*view_.msn_of(uid)).flags;
        }
        FetchOptions options;
        options.uid = cmd.uid;
        options.modseq = cmd.changed_since.has_value();
        options.imap4rev2 = sw_.imap4rev2;
        if (sw_.small_inline) options.inline_limit = 16;
        const bool structure = needs_structure(cmd.fetch);
        for (auto msn : msns) {
            const auto& m = view_.at(msn);
            if (m.expunged) continue;
            const auto it = store_.messages.find(m.uid);
            if (it == store_.messages.end()) continue;  // expunged meanwhile: NO [EXPUNGEISSUED]
            const auto& info = it->second.info;
            if (cmd.changed_since && info.modseq <= *cmd.changed_since) continue;
            const Body& body = *it->second.body;
            FetchMessage fm;
            fm.msn = msn;
            fm.info = &info;
            fm.recent = m.recent && !sw_.imap4rev2;
            if (structure) fm.structure = &body.structure;
            fm.read = [&body](std::uint64_t offset, std::uint64_t length) -> store::Result<std::string> {
                if (offset >= body.bytes.size()) return std::string();
                return body.bytes.substr(offset, length);
            };
            FetchOptions o = options;
            o.flags = std::find(newly_seen.begin(), newly_seen.end(), m.uid) != newly_seen.end();
            auto pieces = render_fetch(cmd.fetch, fm, o);
            if (!pieces) {
                check(is_unknown_cte(pieces.error()));  // `read` never fails
                continue;
            }
            check(!pieces->empty());
            const std::string head = "* " + std::to_string(msn) + " FETCH (";
            check(pieces->front().text.starts_with(head));
            check(pieces->back().text.ends_with(")\r\n") && pieces->back().length == 0);
            std::uint64_t total = 0;
            for (const auto& p : *pieces) {
                check(p.length == 0 || (p.length > options.inline_limit && p.offset <= body.bytes.size() &&
                                        p.length <= body.bytes.size() - p.offset));
                total += p.text.size() + p.length;
            }
            std::string whole;
            for (const auto& p : *pieces) {
                whole += p.text;
                std::string streamed = body.bytes.substr(p.offset, p.length);
                // The server sends a BODY literal's NULs as 0x80 (fetch.hpp).
                if (!p.text.ends_with("~{" + std::to_string(p.length) + "}\r\n"))
                    std::replace(streamed.begin(), streamed.end(), '\0', '\x80');
                whole += streamed;
            }
            check_response(whole);
            // The items Dovecot buffers (FLAGS, UID, RFC822.SIZE, ...) come first: before any name the command echoes.
            const std::string& first = pieces->front().text;
            if (o.flags) check(first.find("FLAGS (") != std::string::npos);
            if (cmd.uid) check(first.find("UID " + std::to_string(m.uid)) != std::string::npos);
            const bool size_asked = std::any_of(cmd.fetch.begin(), cmd.fetch.end(),
                                                [](const FetchItem& i) { return i.kind == FetchItem::Kind::rfc822_size; });
            if (size_asked) check(first.find("RFC822.SIZE " + std::to_string(body.bytes.size())) != std::string::npos);
            // Each item at most a few copies of the message, plus names the command wrote.
            check(total < 64 * body.bytes.size() + 64 * 1024 + 4 * cmd.fetch.size() * 64 + 4 * command_size_);
        }
        flush(cmd.uid);
    }

    void store_flags(const Command& cmd) {
        if (sw_.read_only) return;
        const auto msns = resolved(cmd);
        if (!cmd.uid && !numbers_exist(cmd.set, view_.exists())) return;
        if (cmd.unchanged_since) sw_.condstore = true;
        std::vector<store::FlagChange> changes;
        for (Uid uid : view_.uids(msns)) {
            const auto it = store_.messages.find(uid);
            if (it == store_.messages.end()) continue;
            if (cmd.unchanged_since && it->second.info.modseq > *cmd.unchanged_since) continue;  // MODIFIED
            changes.push_back(store_.set_flags(uid, cmd.flag_op, cmd.flags));
        }
        view_.flags_stored(changes);
        // The STORE's own FETCH responses tell the client (unless .SILENT, when it knows what it asked for).
        for (const auto& ch : changes) {
            const auto msn = view_.msn_of(ch.uid);
            check(msn.has_value());
            client_.flags[*msn - 1] = ch.flags;
        }
        flush(cmd.uid);
    }

    void search(const Command& cmd) {
        if (!known_charset(cmd.charset)) return;
        const SearchKey program = cmd.charset.empty() ? cmd.search : to_utf8(cmd.search, cmd.charset);
        SearchScope scope;
        scope.exists = view_.exists();
        scope.last_uid = view_.last_uid();
        scope.saved = saved_;
        const bool structure = needs_structure(program);
        const bool text = needs_text(program);
        std::vector<Uid> found;
        for (std::uint32_t msn = 1; msn <= view_.exists(); ++msn) {
            const auto& m = view_.at(msn);
            if (m.expunged) continue;
            const auto it = store_.messages.find(m.uid);
            if (it == store_.messages.end()) continue;
            SearchMessage sm;
            sm.msn = msn;
            sm.info = &it->second.info;
            sm.recent = m.recent;
            if (structure) sm.structure = &it->second.body->structure;
            if (text) sm.bytes = it->second.body->bytes;
            if (matches(program, sm, scope)) found.push_back(m.uid);
        }
        if (cmd.search_return.save) saved_ = found;
        flush(cmd.uid);
    }

    void expunge(const Command& cmd) {
        if (sw_.read_only) return;
        std::vector<Uid> uids = store_.all();
        if (cmd.uid) uids = view_.uids(resolved(cmd));
        view_.expunged(store_.expunge(uids, true));
        sync(true);
    }

    Control& control_;
    Switches sw_;
    ModelStore store_;
    MailboxView view_;
    ModelClient client_;
    bool selected_ = false;
    std::vector<Uid> saved_;                    // SEARCH RETURN (SAVE), RFC 5182
    Uid recent_claimed_ = 0;                    // deliveries up to here had their \Recent handed out
    std::optional<store::UidRange> recent_;     // the feed's \Recent news for this session, not yet applied
    std::size_t command_size_ = 0;  // of the command being run: FETCH echoes parts of it
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::size_t piece = 1 + data[0] % 64;
    Switches sw;
    sw.condstore = (data[1] & 1) != 0;
    sw.qresync = (data[1] & 2) != 0;
    sw.imap4rev2 = (data[1] & 4) != 0;
    sw.read_only = (data[1] & 8) != 0;
    sw.small_inline = (data[1] & 16) != 0;
    const std::size_t control_size = std::min<std::size_t>(data[2], size - 3);
    const std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
    Control control(rest.substr(0, control_size));
    const std::string_view input = rest.substr(control_size);

    Run run(control, sw);
    CommandReader reader;
    for (std::size_t pos = 0; pos < input.size(); pos += piece) {
        reader.feed(input.substr(pos, piece));
        for (int guard = 0;; ++guard) {
            check(guard < 1'000'000);
            const auto event = reader.next();
            if (event == CommandReader::Event::need_more) break;
            if (event == CommandReader::Event::stream_begin) {
                reader.refuse_stream();  // a big APPEND: the store's business, not the view's
                continue;
            }
            if (event != CommandReader::Event::command) continue;
            run.events();
            if (run.command(reader.command())) reader.expect_plain_line();
        }
    }
    return 0;
}
