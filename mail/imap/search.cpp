// SEARCH keys evaluated on one message: flags, dates, sizes and sets from the index; header and body text from one pass over the message, decoded piece by piece so a big part never sits in memory decoded whole.
#include "mail/imap/search.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <utility>

#include "core/ascii.hpp"
#include "mail/codec/mime_fields.hpp"
#include "mail/codec/rfc2047.hpp"
#include "mail/codec/transfer_encoding.hpp"

namespace mxlab::imap {
namespace {

using Kind = SearchKey::Kind;
using std::chrono::sys_days;

// Encoded body bytes decoded at a time; the decoded text waiting for
// charset conversion stays within a few times this.
constexpr std::size_t kPiece = 64 * 1024;

bool is_header_key(Kind k) {
    return k == Kind::from || k == Kind::to || k == Kind::cc || k == Kind::bcc || k == Kind::subject || k == Kind::header;
}
bool is_text_key(Kind k) { return is_header_key(k) || k == Kind::body || k == Kind::text; }
bool is_sent_key(Kind k) { return k == Kind::sentbefore || k == Kind::senton || k == Kind::sentsince; }

template <class Pred>
bool any_key(const SearchKey& key, const Pred& pred) {
    if (pred(key.kind)) return true;
    return std::any_of(key.children.begin(), key.children.end(), [&](const SearchKey& c) { return any_key(c, pred); });
}

template <class F>
void for_each_key(const SearchKey& key, const F& f) {
    f(key);
    for (const auto& c : key.children) for_each_key(c, f);
}

std::string_view header_name(const SearchKey& key) {
    switch (key.kind) {
        case Kind::from: return "From";
        case Kind::to: return "To";
        case Kind::cc: return "Cc";
        case Kind::bcc: return "Bcc";
        case Kind::subject: return "Subject";
        default: return key.field;
    }
}

// A case-insensitive (ASCII) substring search fed its text in pieces
// (Knuth-Morris-Pratt: linear whatever the text and the string, and the
// state carries across pieces, so a match may straddle two of them).
class Needle {
public:
    explicit Needle(std::string_view text) : folded_(lower(text)), fail_(folded_.size(), 0) {
        for (std::size_t i = 1, k = 0; i < folded_.size(); ++i) {
            while (k > 0 && folded_[i] != folded_[k]) k = fail_[k - 1];
            if (folded_[i] == folded_[k]) ++k;
            fail_[i] = k;
        }
    }

    bool found() const { return found_; }
    // A new text: a match may not run from the last one into it.
    void restart() { matched_ = 0; }

    void feed(std::string_view text) {
        if (found_) return;
        if (folded_.empty()) {  // "" is in every text, even an empty one
            found_ = true;
            return;
        }
        for (const char raw : text) {
            const char c = lower(raw);
            while (matched_ > 0 && c != folded_[matched_]) matched_ = fail_[matched_ - 1];
            if (c == folded_[matched_] && ++matched_ == folded_.size()) {
                found_ = true;
                return;
            }
        }
    }

private:
    std::string folded_;
    std::vector<std::size_t> fail_;
    std::size_t matched_ = 0;
    bool found_ = false;
};

// Calls f(name, value as written after the colon) for each field of a
// header, up to the blank line that ends it. Lines without a colon are skipped.
template <class F>
void for_each_field(std::string_view header, const F& f) {
    const auto line_end = [&](std::size_t from) {
        const std::size_t lf = header.find('\n', from);
        return lf == std::string_view::npos ? header.size() : lf + 1;
    };
    std::size_t i = 0;
    while (i < header.size()) {
        std::size_t end = line_end(i);
        const std::string_view first = header.substr(i, end - i);
        if (first == "\n" || first == "\r\n") return;
        while (end < header.size() && (header[end] == ' ' || header[end] == '\t')) end = line_end(end);
        const std::string_view field = header.substr(i, end - i);
        i = end;
        const std::size_t colon = first.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = field.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        f(name, field.substr(colon + 1));
    }
}

// The message's own header (not those of the parts or embedded messages).
std::string_view top_header(const SearchMessage& m) {
    if (m.structure == nullptr || m.structure->parts.empty()) return m.bytes;  // for_each_field stops at the blank line
    const auto& root = m.structure->parts[0];
    if (root.body_start > m.bytes.size() || root.header_start > root.body_start) return m.bytes;
    return m.bytes.substr(root.header_start, root.body_start - root.header_start);
}

// ---- dates ----

std::optional<unsigned> month_number(std::string_view token) {
    static constexpr std::array<std::string_view, 12> names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
    if (token.size() < 3) return std::nullopt;
    for (unsigned i = 0; i < names.size(); ++i) {
        if (iequals(token.substr(0, 3), names[i])) return i + 1;
    }
    return std::nullopt;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The value of a few digits (checked with all_digits).
int value_of(std::string_view digits) {
    int n = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
}

// "hh:mm" or "hh:mm:ss" (one-digit hours too), a real time of day.
bool is_time(std::string_view s) {
    const auto at_most = [](std::string_view digits, int most) {
        return digits.size() >= 1 && digits.size() <= 2 && all_digits(digits) && value_of(digits) <= most;
    };
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || !at_most(s.substr(0, colon), 23)) return false;
    const std::string_view rest = s.substr(colon + 1);
    if (rest.size() == 2) return at_most(rest, 59);
    return rest.size() == 5 && rest[2] == ':' && at_most(rest.substr(0, 2), 59) && at_most(rest.substr(3), 60);
}

// The calendar day an RFC 5322 date-time names where it was written: its
// time and zone are disregarded (RFC 9051 6.4.4; Dovecot does the same).
// "[Tue,] 8 Dec 2026 10:00[:00] [zone]" read leniently: comments skipped,
// obsolete two- and three-digit years as RFC 5322 section 4.3 says; but a
// date without a valid time is no date, as for Dovecot.
std::optional<sys_days> sent_day(std::string_view value) {
    std::vector<std::string_view> tokens;
    int depth = 0;
    std::size_t start = std::string_view::npos;
    for (std::size_t i = 0; i <= value.size() && tokens.size() < 5; ++i) {
        const char c = i < value.size() ? value[i] : ' ';
        const bool separator = c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == '(' || c == ')';
        if (separator || depth > 0) {
            if (start != std::string_view::npos) tokens.push_back(value.substr(start, i - start));
            start = std::string_view::npos;
            if (c == '(') ++depth;
            if (c == ')' && depth > 0) --depth;
        } else if (start == std::string_view::npos) {
            start = i;
        }
    }
    std::size_t t = 0;
    if (t < tokens.size() && !all_digits(tokens[t])) ++t;  // the day of the week
    if (t + 4 > tokens.size() || !is_time(tokens[t + 3])) return std::nullopt;
    const std::string_view day = tokens[t], month = tokens[t + 1], year = tokens[t + 2];
    const auto m = month_number(month);
    if (!all_digits(day) || day.size() > 2 || !m || !all_digits(year) || year.size() < 2 || year.size() > 4) return std::nullopt;
    int y = value_of(year);
    if (year.size() == 2) y += y < 50 ? 2000 : 1900;
    if (year.size() == 3) y += 1900;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(*m),
                                          std::chrono::day(static_cast<unsigned>(value_of(day)))};
    if (!ymd.ok()) return std::nullopt;
    return sys_days(ymd);
}

// INTERNALDATE's day in the zone it was recorded in.
sys_days internal_day(const store::MessageInfo& info) {
    return std::chrono::floor<std::chrono::days>(info.internal_date + std::chrono::minutes(info.zone_minutes));
}

bool compare_day(Kind kind, sys_days day, sys_days date) {
    switch (kind) {
        case Kind::before:
        case Kind::sentbefore: return day < date;
        case Kind::on:
        case Kind::senton: return day == date;
        default: return day >= date;
    }
}

// ---- body text ----

bool is_utf8_compatible(std::string_view charset) {
    return charset.empty() || iequals(charset, "us-ascii") || iequals(charset, "ascii") || iequals(charset, "utf-8") ||
           iequals(charset, "utf8");
}

// Where decoded text in a multibyte charset can be cut for conversion:
// after a line break (ISO-2022-JP is back in ASCII there, RFC 1468), else
// after a byte below '0' (inside a character of GB18030, GBK, Big5,
// Shift_JIS or EUC, every byte is '0' or above), else anywhere: a page of
// such text with neither may lose the character cut in two. Only the later
// half is looked at, so what stays behind is at most half.
std::size_t safe_cut(std::string_view text) {
    const std::size_t half = text.size() / 2;
    const std::size_t lf = text.rfind('\n');
    if (lf != std::string_view::npos && lf >= half) return lf + 1;
    for (std::size_t i = text.size(); i > half; --i) {
        if (static_cast<unsigned char>(text[i - 1]) < '0') return i;
    }
    return text.size();
}

// Feeds one text part's body, decoded and in UTF-8, to the needles.
void scan_part(std::string_view body, const codec::MimePart& part, const std::vector<Needle*>& needles) {
    for (Needle* n : needles) n->restart();
    const auto all_found = [&] { return std::all_of(needles.begin(), needles.end(), [](const Needle* n) { return n->found(); }); };
    codec::TransferDecoder decoder;
    decoder.start(part.encoding ? std::string_view(*part.encoding) : std::string_view());  // unknown: searched as it is
    std::string charset = codec::param_text(part.params, "charset").value_or("");
    bool convert = !is_utf8_compatible(charset);
    const auto emit = [&](std::string_view text) {
        std::optional<std::string> utf8;
        if (convert) {
            utf8 = codec::to_utf8(charset, text);
            if (!utf8) convert = false;  // a charset iconv does not know: the bytes as they are
        }
        const std::string_view converted = utf8 ? std::string_view(*utf8) : text;
        for (Needle* n : needles) n->feed(converted);
    };
    std::string decoded;
    for (std::size_t offset = 0; offset < body.size() && !all_found(); offset += kPiece) {
        decoder.feed(body.substr(offset, kPiece), decoded);
        if (!convert) {
            emit(decoded);
            decoded.clear();
        } else if (decoded.size() >= kPiece) {
            const std::size_t cut = safe_cut(decoded);
            emit(std::string_view(decoded).substr(0, cut));
            decoded.erase(0, cut);
        }
    }
    decoder.finish(decoded);
    emit(decoded);
}

// Every text key of a program, answered by one pass over the message.
class TextScan {
public:
    TextScan(const SearchKey& root, const SearchMessage& m) {
        for_each_key(root, [&](const SearchKey& k) {
            if (is_text_key(k.kind)) keys_.push_back(&k);
        });
        needles_.reserve(keys_.size());
        for (const SearchKey* k : keys_) {
            needles_.emplace_back(k->text);
            // BODY "" and TEXT "" match every message, text parts or not.
            if (k->text.empty() && (k->kind == Kind::body || k->kind == Kind::text)) needles_.back().feed("");
        }
        if (!m.bytes.empty()) scan(m);
        results_.reserve(keys_.size());
        for (std::size_t i = 0; i < keys_.size(); ++i) results_.emplace_back(keys_[i], needles_[i].found());
        std::sort(results_.begin(), results_.end());
    }

    bool found(const SearchKey& key) const {
        const auto it = std::lower_bound(results_.begin(), results_.end(), std::pair{&key, false});
        return it != results_.end() && it->first == &key && it->second;
    }

private:
    // Header keys look at the message's own fields (`top`), TEXT at every
    // "Name: value" of every header, the message's, its parts' and its
    // embedded messages' (as Dovecot): unfolded and RFC 2047 decoded.
    // HEADER with "" matches a message that has the field.
    void feed_field(std::string_view name, std::string_view raw, bool top) {
        std::optional<std::string> value;  // decoded once a key wants it
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            const Kind kind = keys_[i]->kind;
            if (needles_[i].found() || kind == Kind::body) continue;
            if (kind != Kind::text && (!top || !iequals(header_name(*keys_[i]), name))) continue;
            if (!value) value = codec::decode_rfc2047(codec::unfold(raw));
            needles_[i].restart();
            if (kind == Kind::text) {
                needles_[i].feed(name);
                needles_[i].feed(": ");
            }
            needles_[i].feed(*value);
        }
    }

    // BODY and TEXT on each text part (RFC 9051 6.4.4 leaves which parts to
    // the server; as Dovecot, text/* leaves, in embedded messages too).
    void scan(const SearchMessage& m) {
        for_each_field(top_header(m), [&](std::string_view name, std::string_view raw) { feed_field(name, raw, true); });
        std::vector<Needle*> body, text;
        for (std::size_t i = 0; i < keys_.size(); ++i) {
            if (needles_[i].found()) continue;
            if (keys_[i]->kind == Kind::text) text.push_back(&needles_[i]);
            if (keys_[i]->kind == Kind::body || keys_[i]->kind == Kind::text) body.push_back(&needles_[i]);
        }
        if (body.empty()) return;
        std::optional<codec::MessageStructure> parsed;
        const codec::MessageStructure* s = m.structure;
        if (s == nullptr) s = &parsed.emplace(codec::parse_mime(m.bytes));  // the session should have given it
        const auto found = [](const Needle* n) { return n->found(); };
        for (std::size_t i = 0; i < s->parts.size() && !body.empty(); ++i) {
            const auto& part = s->parts[i];
            if (i > 0 && !text.empty() && part.header_start < part.body_start && part.header_start < m.bytes.size()) {
                const auto header = m.bytes.substr(part.header_start, part.body_start - part.header_start);
                for_each_field(header, [&](std::string_view name, std::string_view raw) { feed_field(name, raw, false); });
                std::erase_if(text, found);
                std::erase_if(body, found);
            }
            if (part.kind != codec::PartKind::leaf || !iequals(part.type, "text")) continue;
            if (part.body_start >= part.end || part.body_start >= m.bytes.size()) continue;
            scan_part(m.bytes.substr(part.body_start, part.end - part.body_start), part, body);
            std::erase_if(body, found);
            std::erase_if(text, found);
        }
    }

    std::vector<const SearchKey*> keys_;
    std::vector<Needle> needles_;
    std::vector<std::pair<const SearchKey*, bool>> results_;
};

bool in_set(const SequenceSet& set, std::uint32_t n, std::uint32_t largest, const SearchScope& scope, store::Uid uid) {
    if (set.saved) return std::binary_search(scope.saved.begin(), scope.saved.end(), uid);
    return std::any_of(set.ranges.begin(), set.ranges.end(), [&](const SeqRange& r) {
        const std::uint32_t a = r.first == star ? largest : r.first;
        const std::uint32_t b = r.last == star ? largest : r.last;
        return n >= std::min(a, b) && n <= std::max(a, b);
    });
}

class Matcher {
public:
    Matcher(const SearchKey& root, const SearchMessage& m, const SearchScope& scope)
        : root_(root), m_(m), scope_(scope), info_(m.info != nullptr ? *m.info : none_) {}

    bool eval(const SearchKey& k) {
        const auto& flags = info_.flags;
        switch (k.kind) {
            case Kind::all: return true;
            case Kind::and_: return all_of(k.children);
            case Kind::or_: return std::any_of(k.children.begin(), k.children.end(), [&](const SearchKey& c) { return eval(c); });
            case Kind::not_: return !k.children.empty() && !eval(k.children[0]);
            case Kind::sequence: return in_set(k.set, m_.msn, scope_.exists, scope_, info_.uid);
            case Kind::uid: return in_set(k.set, info_.uid, scope_.last_uid, scope_, info_.uid);
            case Kind::answered: return flags.has(store::flag_answered);
            case Kind::deleted: return flags.has(store::flag_deleted);
            case Kind::draft: return flags.has(store::flag_draft);
            case Kind::flagged: return flags.has(store::flag_flagged);
            case Kind::seen: return flags.has(store::flag_seen);
            case Kind::unanswered: return !flags.has(store::flag_answered);
            case Kind::undeleted: return !flags.has(store::flag_deleted);
            case Kind::undraft: return !flags.has(store::flag_draft);
            case Kind::unflagged: return !flags.has(store::flag_flagged);
            case Kind::unseen: return !flags.has(store::flag_seen);
            case Kind::recent: return m_.recent;
            case Kind::new_: return m_.recent && !flags.has(store::flag_seen);
            case Kind::old: return !m_.recent;
            case Kind::keyword: return has_keyword(k.text);
            case Kind::unkeyword: return !has_keyword(k.text);
            case Kind::before:
            case Kind::on:
            case Kind::since: return compare_day(k.kind, internal_day(info_), k.date);
            case Kind::sentbefore:
            case Kind::senton:
            case Kind::sentsince: return compare_day(k.kind, sent(), k.date);
            case Kind::larger: return info_.size > k.number;
            case Kind::smaller: return info_.size < k.number;
            case Kind::modseq: return info_.modseq >= k.number;  // RFC 7162 3.1.5: equal or greater
            default: return text(k);
        }
    }

private:
    // The keys that may read the message go last, so a cheap one that
    // fails spares the reading ("UNSEEN BODY x" on a seen message).
    bool all_of(const std::vector<SearchKey>& keys) {
        const auto later = [](const SearchKey& c) { return is_text_key(c.kind) || !c.children.empty(); };
        for (const auto& c : keys) {
            if (!later(c) && !eval(c)) return false;
        }
        for (const auto& c : keys) {
            if (later(c) && !eval(c)) return false;
        }
        return true;
    }

    bool has_keyword(std::string_view keyword) const {
        return std::any_of(info_.flags.keywords.begin(), info_.flags.keywords.end(),
                           [&](const std::string& k) { return iequals(k, keyword); });
    }

    // The Date field's day; without one that reads as a date, 1 January
    // 1970, as Dovecot answers (SENTBEFORE finds undated messages).
    sys_days sent() const {
        std::optional<sys_days> day;
        if (m_.structure != nullptr && !m_.structure->parts.empty() && m_.structure->parts[0].envelope) {
            const auto& date = m_.structure->parts[0].envelope->date;
            if (date) day = sent_day(*date);
        } else {
            bool seen = false;
            for_each_field(top_header(m_), [&](std::string_view name, std::string_view raw) {
                if (seen || !iequals(name, "Date")) return;
                seen = true;  // the first, as ENVELOPE takes it
                day = sent_day(codec::unfold(raw));
            });
        }
        return day.value_or(sys_days{});
    }

    bool text(const SearchKey& k) {
        if (!scan_) scan_.emplace(root_, m_);
        return scan_->found(k);
    }

    const SearchKey& root_;
    const SearchMessage& m_;
    const SearchScope& scope_;
    const store::MessageInfo none_;  // for a message given without its index entry
    const store::MessageInfo& info_;
    std::optional<TextScan> scan_;
};

void convert_strings(SearchKey& key, std::string_view charset) {
    if (is_text_key(key.kind)) {
        if (auto utf8 = codec::to_utf8(charset, key.text)) key.text = std::move(*utf8);
    }
    for (auto& c : key.children) convert_strings(c, charset);
}

}  // namespace

bool needs_structure(const SearchKey& key) {
    return any_key(key, [](Kind k) { return is_text_key(k) || is_sent_key(k); });
}

bool needs_text(const SearchKey& key) { return any_key(key, is_text_key); }

bool known_charset(std::string_view charset) { return is_utf8_compatible(charset) || codec::to_utf8(charset, "").has_value(); }

SearchKey to_utf8(const SearchKey& key, std::string_view charset) {
    SearchKey out = key;
    convert_strings(out, charset);
    return out;
}

bool matches(const SearchKey& key, const SearchMessage& message, const SearchScope& scope) {
    return Matcher(key, message, scope).eval(key);
}

}  // namespace mxlab::imap
