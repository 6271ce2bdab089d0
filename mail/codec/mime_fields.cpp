// Parsers for the header fields MIME and ENVELOPE read (RFC 2045, 2183, 2231, 3282, 5322), lenient as Dovecot's: what cannot be parsed is skipped, never an error.
#include "mail/codec/mime_fields.hpp"

#include <algorithm>

#include "core/ascii.hpp"
#include "mail/codec/rfc2047.hpp"

namespace mxlab::codec {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 822 lexical scanner over one field value: comments and folding
// whitespace are skipped between tokens.
class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}

    bool at_end() { skip_cfws(); return pos_ >= s_.size(); }
    char peek() { skip_cfws(); return pos_ < s_.size() ? s_[pos_] : '\0'; }
    void advance() { ++pos_; }
    std::size_t pos() const { return pos_; }
    void seek(std::size_t p) { pos_ = p; }
    // The last comment skipped, for "addr (Name)".
    const std::string& last_comment() const { return comment_; }
    void clear_comment() { comment_.clear(); }
    // The raw text from here to just after `stop` (a domain literal).
    std::string_view until_past(char stop) {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && s_[pos_] != stop) ++pos_;
        if (pos_ < s_.size()) ++pos_;
        return s_.substr(start, pos_ - start);
    }

    void skip_cfws() {
        while (pos_ < s_.size()) {
            if (is_wsp(s_[pos_])) {
                ++pos_;
            } else if (s_[pos_] == '(') {
                comment_.clear();
                int depth = 0;
                while (pos_ < s_.size()) {
                    const char c = s_[pos_++];
                    if (c == '\\' && pos_ < s_.size()) {
                        comment_ += s_[pos_++];
                        continue;
                    }
                    if (c == '(' && depth++ == 0) continue;
                    if (c == ')' && --depth == 0) break;
                    if (c != '\r' && c != '\n') comment_ += c;
                }
            } else {
                break;
            }
        }
    }

    // A run of bytes that are not specials, whitespace or controls.
    std::string_view token(std::string_view specials) {
        skip_cfws();
        const std::size_t start = pos_;
        while (pos_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[pos_]);
            if (c <= ' ' || c == 0x7f || specials.find(static_cast<char>(c)) != std::string_view::npos) break;
            ++pos_;
        }
        return s_.substr(start, pos_ - start);
    }

    // A quoted string's content with the backslashes removed; an unclosed
    // one runs to the end.
    std::string quoted() {
        std::string out;
        ++pos_;  // the opening quote
        while (pos_ < s_.size()) {
            const char c = s_[pos_++];
            if (c == '"') break;
            if (c == '\\' && pos_ < s_.size()) {
                out += s_[pos_++];
            } else if (c != '\r' && c != '\n') {
                out += c;
            }
        }
        return out;
    }

    // Skips to the next `stop` outside quotes (or the end).
    void skip_to(char stop) {
        while (pos_ < s_.size() && s_[pos_] != stop) {
            if (s_[pos_] == '"') {
                quoted();
            } else {
                ++pos_;
            }
        }
    }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
    std::string comment_;
};

// RFC 2045 tspecials.
constexpr std::string_view kTspecials = "()<>@,;:\\\"/[]?=";

struct Rfc2231Piece {
    std::string key;
    unsigned index = 0;
    bool extended = false;
    std::string value;
    std::size_t order = 0;
};

// RFC 2231 section 4: a plain piece joined to extended ones is
// percent-encoded so the whole value reads as one encoded string.
void rfc2231_escape(std::string& out, std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '%' || c == '\'' || c <= ' ' || c >= 0x7f || kTspecials.find(ch) != std::string_view::npos) {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
}

}  // namespace

std::string unfold(std::string_view raw) {
    // Only the whitespace after the colon goes: a value that starts on the
    // next line keeps the folding space (Dovecot shows " <x@y>").
    while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t')) raw.remove_prefix(1);
    std::string out;
    out.reserve(raw.size());
    for (const char c : raw) {
        if (c != '\r' && c != '\n') out += c;
    }
    return out;
}

std::vector<MimeParam> parse_params(std::string_view text) {
    Lexer lex(text);
    std::vector<MimeParam> plain;
    std::vector<Rfc2231Piece> pieces;
    while (!lex.at_end()) {
        if (lex.peek() != ';') {
            lex.skip_to(';');  // junk before the next parameter
            continue;
        }
        lex.advance();
        const std::string key(lex.token(kTspecials));
        if (key.empty() || lex.peek() != '=') continue;
        lex.advance();
        std::string value;
        if (lex.peek() == '"') {
            value = lex.quoted();
        } else {
            // An RFC 2045 token, as Dovecot reads it: boundary=----=_x is
            // "----" there too, and IMAP clients see what Dovecot shows.
            value = std::string(lex.token(kTspecials));
        }
        const auto star = key.find('*');
        if (star == std::string::npos) {
            plain.push_back({key, std::move(value)});
            continue;
        }
        Rfc2231Piece piece{key.substr(0, star), 0, false, std::move(value), pieces.size()};
        std::size_t p = star + 1;
        bool digits = false;
        while (p < key.size() && key[p] >= '0' && key[p] <= '9') {
            piece.index = std::min(piece.index * 10 + static_cast<unsigned>(key[p] - '0'), 1'000'000u);
            digits = true;
            ++p;
        }
        if (!digits) {
            piece.extended = true;  // "name*": the star marks an encoded value
        } else if (p < key.size() && key[p] == '*') {
            piece.extended = true;  // "name*1*"
            ++p;
        }
        const bool well_formed = p == key.size();
        if (!well_formed) {
            plain.push_back({key, std::move(piece.value)});
            continue;
        }
        pieces.push_back(std::move(piece));
    }
    // Sorted by name, then index: each name's pieces in a row.
    std::stable_sort(pieces.begin(), pieces.end(), [](const Rfc2231Piece& a, const Rfc2231Piece& b) {
        if (!iequals(a.key, b.key)) {
            return std::lexicographical_compare(a.key.begin(), a.key.end(), b.key.begin(), b.key.end(),
                                                [](char x, char y) { return lower(x) < lower(y); });
        }
        return a.index < b.index;
    });
    for (std::size_t i = 0, next = 0; i < pieces.size(); i = next) {
        bool complete = true, any_extended = false;
        unsigned expect = 0;
        for (next = i; next < pieces.size() && iequals(pieces[next].key, pieces[i].key); ++next) {
            if (pieces[next].index != expect++) complete = false;
            any_extended = any_extended || pieces[next].extended;
        }
        if (!complete) {
            // A gap or a repeat: not RFC 2231 after all, each as written.
            for (std::size_t j = i; j < next; ++j) {
                const auto& pc = pieces[j];
                plain.push_back({pc.key + "*" + std::to_string(pc.index) + (pc.extended ? "*" : ""), pc.value});
            }
            continue;
        }
        std::string value;
        if (!pieces[i].extended && any_extended) value = "''";
        for (std::size_t j = i; j < next; ++j) {
            if (!pieces[j].extended && any_extended) {
                rfc2231_escape(value, pieces[j].value);
            } else {
                value += pieces[j].value;
            }
        }
        plain.push_back({any_extended ? pieces[i].key + "*" : pieces[i].key, std::move(value)});
    }
    return plain;
}

std::optional<ContentType> parse_content_type(std::string_view value) {
    Lexer lex(value);
    ContentType ct;
    ct.type = std::string(lex.token(kTspecials));
    if (ct.type.empty()) return std::nullopt;
    // "text" alone keeps an empty subtype, as Dovecot shows it.
    if (lex.peek() == '/') {
        lex.advance();
        ct.subtype = std::string(lex.token(kTspecials));
    }
    lex.skip_cfws();
    ct.params = parse_params(value.substr(lex.pos()));
    return ct;
}

std::optional<Disposition> parse_disposition(std::string_view value) {
    Lexer lex(value);
    Disposition d;
    d.type = std::string(lex.token(kTspecials));
    if (d.type.empty()) return std::nullopt;
    lex.skip_cfws();
    d.params = parse_params(value.substr(lex.pos()));
    return d;
}

std::optional<std::string> param_text(const std::vector<MimeParam>& params, std::string_view name) {
    for (const auto& p : params) {
        if (p.name.size() == name.size() + 1 && p.name.back() == '*' && iequals(std::string_view(p.name).substr(0, name.size()), name)) {
            return decode_rfc2231_value(p.value);
        }
    }
    for (const auto& p : params) {
        if (iequals(p.name, name)) return decode_rfc2047(p.value);
    }
    return std::nullopt;
}

std::string first_token(std::string_view value) {
    Lexer lex(value);
    return std::string(lex.token(kTspecials));
}

std::vector<std::string> parse_languages(std::string_view value) {
    Lexer lex(value);
    std::vector<std::string> tags;
    while (!lex.at_end()) {
        const auto tag = lex.token(kTspecials);
        if (!tag.empty()) {
            tags.emplace_back(tag);
        } else {
            lex.advance();  // a comma or stray special
        }
    }
    return tags;
}

namespace {

// RFC 5322 specials.
constexpr std::string_view kSpecials = "()<>[]:;@\\,.\"";

class AddressParser {
public:
    explicit AddressParser(std::string_view s) : lex_(s) {}

    std::vector<Address> list() {
        bool any = false;  // an address since the last comma
        while (!lex_.at_end()) {
            if (lex_.peek() == ',') {
                // An empty element before a comma is an invalid address
                // (Dovecot lists it); one after the last comma is nothing.
                if (!any) out_.push_back(missing());
                lex_.advance();
                any = false;
                continue;
            }
            const std::size_t before = lex_.pos(), count = out_.size();
            address_or_group();
            any = any || out_.size() > count;
            if (lex_.peek() == ';' || lex_.peek() == '>') lex_.advance();
            if (lex_.pos() == before) lex_.advance();  // progress on junk
        }
        return std::move(out_);
    }

private:
    // A phrase: words (atoms and quoted strings, dots between them) joined
    // by one space; stops at a special that is not a dot.
    std::string phrase(std::size_t* gaps) {
        std::string text;
        bool last_dot = false;
        *gaps = 0;
        for (;;) {
            const char c = lex_.peek();
            std::string word;
            if (c == '"') {
                word = lex_.quoted();
            } else if (c == '.') {
                lex_.advance();
                text += '.';
                last_dot = true;
                continue;
            } else {
                const auto atom = lex_.token(kSpecials);
                if (atom.empty()) break;
                word = std::string(atom);
            }
            if (!text.empty() && !last_dot) {
                text += ' ';
                ++*gaps;
            }
            text += word;
            last_dot = false;
        }
        return text;
    }

    // "@" domain after a local part.
    void addr_spec(Address& a, std::string local) {
        if (lex_.peek() == '@') {
            lex_.advance();
            a.host = domain();
        }
        a.mailbox = std::move(local);
    }

    std::string domain() {
        std::string d;
        for (;;) {
            const char c = lex_.peek();
            if (c == '.') {
                lex_.advance();
                d += '.';
            } else if (c == '[') {
                d += lex_.until_past(']');
            } else {
                const auto atom = lex_.token(kSpecials);
                if (atom.empty()) break;
                d += atom;
            }
        }
        return d;
    }

    // The local part: dot-separated words, quoted ones unquoted.
    std::string local_part() {
        std::string text;
        for (;;) {
            const char c = lex_.peek();
            if (c == '"') {
                text += lex_.quoted();
            } else if (c == '.') {
                lex_.advance();
                text += '.';
            } else {
                const auto atom = lex_.token(kSpecials);
                if (atom.empty()) break;
                text += atom;
            }
        }
        return text;
    }

    void mailbox_after_phrase(std::string name, std::size_t phrase_start, std::size_t gaps) {
        Address a;
        const char c = lex_.peek();
        if (c != '<' && gaps > 0) {
            // Words with spaces and no <address>: a name alone, as Dovecot
            // reads it; the rest up to the next address is dropped.
            a.name = std::move(name);
            while (!lex_.at_end() && lex_.peek() != ',' && lex_.peek() != ';') {
                if (lex_.peek() == '"') {
                    lex_.quoted();
                } else {
                    lex_.advance();
                }
            }
        } else if (c == '<') {
            lex_.advance();
            if (!name.empty()) a.name = std::move(name);
            if (lex_.peek() == '@') {
                // obs-route: "@a,@b:" before the address
                std::string route;
                while (lex_.peek() == '@' || lex_.peek() == ',') {
                    const char r = lex_.peek();
                    lex_.advance();
                    if (r == ',') {
                        route += ',';
                        continue;
                    }
                    route += '@';
                    route += domain();
                }
                if (lex_.peek() == ':') lex_.advance();
                if (!route.empty()) a.adl = std::move(route);
            }
            addr_spec(a, local_part());
            if (lex_.peek() == '>') lex_.advance();
        } else {
            // addr-spec without angle brackets: re-read the phrase as a
            // local part, since "a.b"@c and john.doe@c are words there.
            lex_.seek(phrase_start);
            lex_.clear_comment();
            std::string local = local_part();
            addr_spec(a, std::move(local));
            lex_.skip_cfws();
            if (!lex_.last_comment().empty()) a.name = unfold(lex_.last_comment());
        }
        finish(a);
        out_.push_back(std::move(a));
    }

    static Address missing() {
        Address a;
        finish(a);
        return a;
    }

    // Dovecot's stand-ins for what an invalid address lacks.
    static void finish(Address& a) {
        if (!a.mailbox || a.mailbox->empty()) a.mailbox = "MISSING_MAILBOX";
        if (!a.host || a.host->empty()) a.host = "MISSING_DOMAIN";
    }

    void address_or_group() {
        const std::size_t start = lex_.pos();
        std::size_t gaps;
        std::string name = phrase(&gaps);
        if (lex_.peek() == ':' && group_depth_ == 0) {
            lex_.advance();
            out_.push_back(Address{std::nullopt, std::nullopt, name, std::nullopt});
            ++group_depth_;
            while (!lex_.at_end() && lex_.peek() != ';') {
                const std::size_t before = lex_.pos();
                if (lex_.peek() == ',') {
                    lex_.advance();
                    continue;
                }
                const std::size_t inner = lex_.pos();
                std::size_t gaps;
                std::string member = phrase(&gaps);
                mailbox_after_phrase(std::move(member), inner, gaps);
                if (lex_.pos() == before) lex_.advance();
            }
            --group_depth_;
            if (lex_.peek() == ';') lex_.advance();
            out_.push_back(Address{});
            return;
        }
        const char c = lex_.peek();
        if (name.empty() && c != '<' && c != '@') return;
        mailbox_after_phrase(std::move(name), start, gaps);
    }

    Lexer lex_;
    std::vector<Address> out_;
    int group_depth_ = 0;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view value) {
    return AddressParser(value).list();
}

}  // namespace mxlab::codec
