// FETCH responses from the stored MIME structure; see fetch.hpp. The item order, the empty answers and the header filtering follow Dovecot 2.3.
#include "mail/imap/fetch.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <string_view>

#include "core/ascii.hpp"
#include "mail/imap/format.hpp"

namespace mxlab::imap {
namespace {

using Kind = FetchItem::Kind;
using store::Errc;
using store::Result;

// Bytes read at once when a section is filtered or decoded rather than sent as it is.
constexpr std::uint64_t chunk_size = 64 * 1024;

constexpr std::string_view unknown_cte_text = "Unknown Content-Transfer-Encoding";

// Items Dovecot writes into its line buffer before any literal: they come
// first, in the order asked, then the rest in the order asked (imap-fetch.c,
// "buffered" handlers).
bool buffered(Kind k) {
    return k == Kind::flags || k == Kind::uid || k == Kind::internaldate || k == Kind::rfc822_size ||
           k == Kind::modseq;
}

// Items with a section can be asked twice with different sections; the
// others are answered once however often they are asked (as Dovecot does).
bool has_section(Kind k) { return k == Kind::body_section || k == Kind::binary || k == Kind::binary_size; }

// Items answered from the message's bytes.
bool reads_bytes(Kind k) {
    return k == Kind::rfc822 || k == Kind::rfc822_header || k == Kind::rfc822_text || has_section(k);
}

// A run of the message's bytes: [begin, end).
struct Span {
    std::uint64_t begin = 0, end = 0;
    std::uint64_t size() const { return end - begin; }
};

// The answer being written: text, and ranges of the message left for the server to stream.
class Response {
public:
    Response() : pieces_(1) {}
    std::string& text() { return pieces_.back().text; }
    // Starts the next item with `name`; returns the text to go on with.
    std::string& item(std::string_view name) {
        if (!first_) text() += ' ';
        first_ = false;
        return text() += name;
    }
    void range(std::uint64_t offset, std::uint64_t length) {
        pieces_.back().offset = offset;
        pieces_.back().length = length;
        pieces_.emplace_back();
    }
    std::vector<FetchPiece> finish() && {
        text() += ")\r\n";
        return std::move(pieces_);
    }

private:
    std::vector<FetchPiece> pieces_;
    bool first_ = true;
};

store::Error short_read() { return store::make_error(Errc::corrupt, "the message is shorter than its structure says"); }

// Exactly `length` bytes from `offset`, in one read.
Result<std::string> read_exact(const FetchMessage& m, std::uint64_t offset, std::uint64_t length) {
    if (length == 0) return std::string();
    auto r = m.read(offset, length);
    if (!r) return r.error();
    if (r->size() != length) return short_read();
    return r;
}

// A literal can't hold NUL: Dovecot sends 0x80 instead (imap-msgpart.c).
void replace_nuls(std::string& s) { std::replace(s.begin(), s.end(), '\0', '\x80'); }

void append_count(std::string& out, std::uint64_t n) { out += std::to_string(n); }

// "dd-Mon-yyyy hh:mm:ss +zzzz" (RFC 9051 date-time), at the zone it was given.
void append_internaldate(std::string& out, const store::MessageInfo& info) {
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    using namespace std::chrono;
    const auto local = info.internal_date + minutes(info.zone_minutes);
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    const int zone = info.zone_minutes < 0 ? -info.zone_minutes : info.zone_minutes;
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"%02u-%s-%04d %02ld:%02ld:%02ld %c%02d%02d\"", unsigned(ymd.day()),
                  months[unsigned(ymd.month()) - 1], int(ymd.year()), long(hms.hours().count()),
                  long(hms.minutes().count()), long(hms.seconds().count()), info.zone_minutes < 0 ? '-' : '+',
                  zone / 60, zone % 60);
    out += buf;
}

// The partial window of a section `size` bytes long: Dovecot answers an
// empty literal when the offset is at or past the end.
Span window(std::uint64_t size, const std::optional<Partial>& partial) {
    if (!partial) return {0, size};
    if (partial->offset >= size) return {0, 0};
    return {partial->offset, partial->offset + std::min(partial->length, size - partial->offset)};
}

// "BODY[1.2.HEADER.FIELDS (FROM TO)]<5>", "BINARY[2]", "BINARY.SIZE[2]".
std::string item_name(const FetchItem& it) {
    std::string n = it.kind == Kind::body_section ? "BODY[" : it.kind == Kind::binary ? "BINARY[" : "BINARY.SIZE[";
    for (std::size_t i = 0; i < it.section.part.size(); ++i) {
        if (i > 0) n += '.';
        append_count(n, it.section.part[i]);
    }
    const bool dot = !it.section.part.empty() && it.section.text != Section::Text::none;
    if (dot) n += '.';
    switch (it.section.text) {
    case Section::Text::none: break;
    case Section::Text::header: n += "HEADER"; break;
    case Section::Text::text: n += "TEXT"; break;
    case Section::Text::mime: n += "MIME"; break;
    case Section::Text::header_fields:
    case Section::Text::header_fields_not:
        n += it.section.text == Section::Text::header_fields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (";
        for (std::size_t i = 0; i < it.section.fields.size(); ++i) {
            if (i > 0) n += ' ';
            std::string upper(it.section.fields[i]);
            for (auto& c : upper)
                if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            append_astring(n, upper);
        }
        n += ')';
        break;
    }
    n += ']';
    if (it.partial && it.kind != Kind::binary_size) {
        n += '<';
        append_count(n, it.partial->offset);
        n += '>';
    }
    return n;
}

// A literal of bytes already in hand.
void literal(Response& r, std::string bytes, bool literal8 = false) {
    r.text() += literal8 ? " ~{" : " {";
    append_count(r.text(), bytes.size());
    r.text() += "}\r\n";
    r.text() += bytes;
}

// A literal of the message's bytes `span`, the part of it `partial` asks:
// read now when small, else left to the server to stream.
store::Status span_literal(Response& r, const FetchMessage& m, const FetchOptions& o, Span span,
                           const std::optional<Partial>& partial) {
    const Span w = window(span.size(), partial);
    const std::uint64_t begin = span.begin + w.begin, length = w.size();
    if (length > o.inline_limit) {
        r.text() += " {";
        append_count(r.text(), length);
        r.text() += "}\r\n";
        r.range(begin, length);
        return {};
    }
    auto bytes = read_exact(m, begin, length);
    if (!bytes) return bytes.error();
    replace_nuls(*bytes);
    literal(r, std::move(*bytes));
    return {};
}

// ---- HEADER.FIELDS and HEADER.FIELDS.NOT ----

bool listed(std::string_view name, const std::vector<std::string>& fields) {
    for (const auto& f : fields)
        if (iequals(name, f)) return true;
    return false;
}

// A field's name: up to the colon, trailing blanks dropped; a line without
// a colon is all name (as Dovecot's header parser reads it).
std::string_view field_name(std::string_view line) {
    std::size_t end = line.find(':');
    if (end == std::string_view::npos) end = line.size();
    while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
    return line.substr(0, end);
}

// The header's fields that `include` the listed names (or all but them),
// each line ended by CRLF, and then the blank line, which Dovecot always adds.
Result<std::string> filter_header(const FetchMessage& m, Span header, const std::vector<std::string>& fields,
                                  bool include) {
    std::string out, line;
    bool keep = false, done = false;
    bool skipping = false;  // in a line of a field left out: its bytes are not kept
    // Whether the line so far (or whole) belongs to a field kept; decided
    // once its name is whole or it is a continuation line.
    auto decide = [&](std::string_view l, bool whole) {
        if (l.empty()) return std::optional<bool>{};
        if (l[0] == ' ' || l[0] == '\t') return std::optional<bool>{keep};
        if (!whole && l.find(':') == std::string_view::npos) return std::optional<bool>{};
        return std::optional<bool>{listed(field_name(l), fields) == include};
    };
    for (std::uint64_t at = header.begin; at < header.end && !done;) {
        const std::uint64_t n = std::min(chunk_size, header.end - at);
        auto bytes = read_exact(m, at, n);
        if (!bytes) return bytes.error();
        at += n;
        std::string_view rest(*bytes);
        while (!rest.empty() && !done) {
            const std::size_t lf = rest.find('\n');
            if (skipping) {
                if (lf == std::string_view::npos) break;
                skipping = false;
                rest.remove_prefix(lf + 1);
                continue;
            }
            line += rest.substr(0, lf);
            if (lf == std::string_view::npos) {
                // A long line of a field left out is dropped as it comes.
                if (auto d = decide(line, false); d && !*d) {
                    keep = false;
                    skipping = true;
                    line.clear();
                }
                break;
            }
            rest.remove_prefix(lf + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) done = true;  // the blank line that ends the header
            else if ((keep = *decide(line, true))) out += line + "\r\n";
            line.clear();
        }
    }
    if (!done && !line.empty() && (keep = *decide(line, true))) out += line + "\r\n";  // a last field without a line break
    out += "\r\n";
    replace_nuls(out);
    return out;
}

// ---- finding a part ----

// The part a section number names, as Dovecot finds it (imap-msgpart.c):
// as codec::find_section, but a last "1" after a part that is not
// multipart names that part itself, so BODY[1.1] of a text part 1 is part 1.
std::optional<std::uint32_t> find_part(const codec::MessageStructure& s, const std::vector<std::uint32_t>& numbers) {
    std::uint32_t current = 0;
    for (std::size_t k = 0; k < numbers.size(); ++k) {
        const bool last = k + 1 == numbers.size();
        const codec::MimePart& p = s.parts[current];
        if (p.kind == codec::PartKind::multipart) {
            std::uint32_t child = p.first_child;
            for (std::uint32_t i = 1; i < numbers[k] && child != 0; ++i) child = s.parts[child].next_sibling;
            if (numbers[k] == 0 || child == 0) return std::nullopt;
            current = child;
        } else if (numbers[k] != 1 || (!last && p.kind != codec::PartKind::message)) {
            return std::nullopt;
        }
        // Numbers after a message/rfc822 part go on in the message it holds.
        const codec::MimePart& found = s.parts[current];
        if (!last && found.kind == codec::PartKind::message) {
            if (found.first_child == 0) return std::nullopt;
            current = found.first_child;
        }
    }
    return current;
}

// ---- BINARY ----

bool identity_encoding(const std::optional<std::string>& e) {
    return !e || e->empty() || iequals(*e, "7bit") || iequals(*e, "8bit") || iequals(*e, "binary");
}

store::Error unknown_cte(std::string_view encoding) {
    std::string text(unknown_cte_text);
    text += ": ";
    text += encoding;
    return store::make_error(Errc::invalid, std::move(text));
}

// A part BINARY shows decoded: a leaf with a Content-Transfer-Encoding to
// undo. A multipart's or message's own can only be an identity (RFC 2045
// section 6.4, RFC 2046 section 5.2.1): the parts inside are looked at
// instead, and a base64 message/rfc822 is sent as it is (as Dovecot does).
bool decodes(const codec::MimePart& p) { return p.kind == codec::PartKind::leaf && !identity_encoding(p.encoding); }

// BINARY's view of a part, as Dovecot writes it (index-mail-binary.c): a
// decoded part's header loses its Content-Transfer-Encoding field and ends
// with "Content-Transfer-Encoding: binary", its body decoded; a multipart
// or a message keeps its bytes between the parts it holds.
class BinaryWriter {
public:
    explicit BinaryWriter(const FetchMessage& m) : m_(m), s_(*m.structure), needed_(s_.parts.size(), false) {
        // Pre-order: a part's descendants come after it, so one pass from the end marks the ancestors.
        for (std::size_t i = s_.parts.size(); i-- > 0;) {
            if (decodes(s_.parts[i])) needed_[i] = true;
            if (needed_[i] && i > 0) needed_[s_.parts[i].parent] = true;
        }
    }

    // Whether the part, or one inside it, is decoded.
    bool needed(std::uint32_t index) const { return needed_[index]; }

    store::Status entity(std::uint32_t index) {
        const codec::MimePart& p = s_.parts[index];
        if (!decodes(p)) {
            if (auto st = raw({p.header_start, p.body_start}); !st) return st;
            return body(index);
        }
        auto header = filter_header(m_, {p.header_start, p.body_start}, {"Content-Transfer-Encoding"}, false);
        if (!header) return header.error();
        header->insert(header->size() - 2, "Content-Transfer-Encoding: binary\r\n");
        out += *header;
        return body(index);
    }

    store::Status body(std::uint32_t index) {
        const codec::MimePart& p = s_.parts[index];
        if (!needed_[index]) return raw({p.body_start, p.end});
        if (decodes(p)) return decode(p);
        std::uint64_t at = p.body_start;
        for (std::uint32_t c = p.first_child; c != 0; c = s_.parts[c].next_sibling) {
            const codec::MimePart& child = s_.parts[c];
            if (auto st = raw({at, child.header_start}); !st) return st;
            if (auto st = entity(c); !st) return st;
            at = child.end;
        }
        return raw({at, p.end});
    }

    std::string out;
    bool binary = false;  // something was decoded: literal8, as Dovecot sends it

private:
    store::Status raw(Span span) {
        if (span.end <= span.begin) return {};
        auto bytes = read_exact(m_, span.begin, span.size());
        if (!bytes) return bytes.error();
        out += *bytes;
        return {};
    }

    store::Status decode(const codec::MimePart& p) {
        codec::TransferDecoder decoder;
        if (!decoder.start(*p.encoding)) return unknown_cte(*p.encoding);
        binary = true;
        for (std::uint64_t at = p.body_start; at < p.end;) {
            const std::uint64_t n = std::min(chunk_size, p.end - at);
            auto bytes = read_exact(m_, at, n);
            if (!bytes) return bytes.error();
            at += n;
            decoder.feed(*bytes, out);
        }
        decoder.finish(out);
        return {};
    }

    const FetchMessage& m_;
    const codec::MessageStructure& s_;
    std::vector<bool> needed_;
};

store::Status binary_item(Response& r, const FetchMessage& m, const FetchOptions& o, const FetchItem& it) {
    r.item(item_name(it));
    const auto& s = *m.structure;
    std::optional<std::uint32_t> index = 0;
    if (!it.section.part.empty()) index = find_part(s, it.section.part);
    if (!index) {
        r.text() += it.kind == Kind::binary_size ? " 0" : " {0}\r\n";
        return {};
    }
    const codec::MimePart& p = s.parts[*index];
    // BINARY[] is the whole message, BINARY[n] the body of part n.
    const bool whole = it.section.part.empty();
    BinaryWriter writer(m);
    if (!writer.needed(*index)) {
        // Nothing to decode: the bytes as they are, streamed when big.
        const Span span{whole ? p.header_start : p.body_start, p.end};
        const Span w = window(span.size(), it.partial);
        if (it.kind == Kind::binary_size) {
            append_count(r.text() += ' ', span.size());
            return {};
        }
        if (w.size() > o.inline_limit) {
            // Not read to look for NUL: literal8 holds anything (RFC 3516 section 4.3).
            append_count(r.text() += " ~{", w.size());
            r.text() += "}\r\n";
            r.range(span.begin + w.begin, w.size());
            return {};
        }
        auto bytes = read_exact(m, span.begin + w.begin, w.size());
        if (!bytes) return bytes.error();
        const bool nul = bytes->find('\0') != std::string::npos;
        literal(r, std::move(*bytes), nul);
        return {};
    }
    if (auto st = whole ? writer.entity(*index) : writer.body(*index); !st) return st;
    if (it.kind == Kind::binary_size) {
        append_count(r.text() += ' ', writer.out.size());
        return {};
    }
    const Span w = window(writer.out.size(), it.partial);
    literal(r, writer.out.substr(w.begin, w.size()), writer.binary);
    return {};
}

// ---- BODY[section] ----

// The bytes a section covers, or nothing for a part that isn't there (an
// empty literal, as Dovecot answers). HEADER.FIELDS gets the header's span.
std::optional<Span> section_span(const codec::MessageStructure& s, const Section& sec) {
    using T = Section::Text;
    const codec::MimePart* p = &s.parts[0];
    if (!sec.part.empty()) {
        auto found = find_part(s, sec.part);
        if (!found) return std::nullopt;
        p = &s.parts[*found];
        if (sec.text == T::none) return Span{p->body_start, p->end};
        if (sec.text == T::mime) return Span{p->header_start, p->body_start};
        // HEADER and TEXT of a part are those of the message it holds.
        if (p->kind != codec::PartKind::message || p->first_child == 0) return std::nullopt;
        p = &s.parts[p->first_child];
    } else if (sec.text == T::none) {
        return Span{p->header_start, p->end};
    } else if (sec.text == T::mime) {
        return std::nullopt;  // the parser refuses a MIME without part number
    }
    if (sec.text == T::text) return Span{p->body_start, p->end};
    return Span{p->header_start, p->body_start};
}

store::Status body_section_item(Response& r, const FetchMessage& m, const FetchOptions& o, const FetchItem& it) {
    r.item(item_name(it));
    // BODY[] needs no structure: it is the whole message.
    if (it.section.part.empty() && it.section.text == Section::Text::none)
        return span_literal(r, m, o, {0, m.info->size}, it.partial);
    const auto span = section_span(*m.structure, it.section);
    if (!span) {
        r.text() += " {0}\r\n";
        return {};
    }
    const auto t = it.section.text;
    if (t == Section::Text::header_fields || t == Section::Text::header_fields_not) {
        auto filtered = filter_header(m, *span, it.section.fields, t == Section::Text::header_fields);
        if (!filtered) return filtered.error();
        const Span w = window(filtered->size(), it.partial);
        literal(r, filtered->substr(w.begin, w.size()));
        return {};
    }
    return span_literal(r, m, o, *span, it.partial);
}

store::Status render_item(Response& r, const FetchMessage& m, const FetchOptions& o, const FetchItem& it) {
    const auto& info = *m.info;
    switch (it.kind) {
    case Kind::flags: append_flags(r.item("FLAGS "), info.flags, m.recent); return {};
    case Kind::uid: append_count(r.item("UID "), info.uid); return {};
    case Kind::internaldate: append_internaldate(r.item("INTERNALDATE "), info); return {};
    case Kind::rfc822_size: append_count(r.item("RFC822.SIZE "), info.size); return {};
    case Kind::modseq:
        append_count(r.item("MODSEQ ("), info.modseq);
        r.text() += ')';
        return {};
    case Kind::envelope: r.item("ENVELOPE ") += codec::render_envelope(*m.structure); return {};
    case Kind::body: r.item("BODY ") += codec::render_bodystructure(*m.structure, false); return {};
    case Kind::bodystructure: r.item("BODYSTRUCTURE ") += codec::render_bodystructure(*m.structure, true); return {};
    case Kind::rfc822:
        r.item("RFC822");
        return span_literal(r, m, o, {0, info.size}, std::nullopt);
    case Kind::rfc822_header:
        r.item("RFC822.HEADER");
        return span_literal(r, m, o, {0, m.structure->parts[0].body_start}, std::nullopt);
    case Kind::rfc822_text:
        r.item("RFC822.TEXT");
        return span_literal(r, m, o, {m.structure->parts[0].body_start, m.structure->parts[0].end}, std::nullopt);
    case Kind::body_section: return body_section_item(r, m, o, it);
    case Kind::binary:
    case Kind::binary_size: return binary_item(r, m, o, it);
    }
    return {};
}

}  // namespace

bool needs_structure(const std::vector<FetchItem>& items) {
    return std::any_of(items.begin(), items.end(), [](const FetchItem& it) {
        switch (it.kind) {
        case Kind::envelope:
        case Kind::body:
        case Kind::bodystructure: return true;
        case Kind::rfc822: return false;  // the whole message, as BODY[]
        case Kind::body_section: return !it.section.part.empty() || it.section.text != Section::Text::none;
        default: return reads_bytes(it.kind);
        }
    });
}

bool needs_bytes(const std::vector<FetchItem>& items) {
    return std::any_of(items.begin(), items.end(), [](const FetchItem& it) { return reads_bytes(it.kind); });
}

bool sets_seen(const std::vector<FetchItem>& items) {
    for (const auto& it : items) {
        if (it.kind == Kind::rfc822 || it.kind == Kind::rfc822_text) return true;
        if ((it.kind == Kind::body_section || it.kind == Kind::binary) && !it.peek) return true;
    }
    return false;
}

bool is_unknown_cte(const store::Error& e) {
    return e.code == Errc::invalid && e.message.starts_with(unknown_cte_text);
}

store::Result<std::vector<FetchPiece>> render_fetch(const std::vector<FetchItem>& items, const FetchMessage& message,
                                                    const FetchOptions& options) {
    assert(message.info != nullptr);
    if (needs_structure(items) && (message.structure == nullptr || message.structure->parts.empty()))
        return store::make_error(Errc::corrupt, "FETCH without the message's structure");

    // The order Dovecot answers in: UID first for UID FETCH, the short
    // items as asked, MODSEQ for CHANGEDSINCE and FLAGS for a \Seen just
    // set unless asked, then the items with literals and lists as asked.
    std::vector<const FetchItem*> order;
    std::vector<FetchItem> implied;
    implied.reserve(3);
    auto asked = [&](Kind k) {
        return std::any_of(items.begin(), items.end(), [&](const FetchItem& it) { return it.kind == k; });
    };
    auto add = [&](const FetchItem* it) {
        if (!has_section(it->kind))
            for (const auto* o : order)
                if (o->kind == it->kind) return;
        order.push_back(it);
    };
    if (options.uid) add(&implied.emplace_back(FetchItem{Kind::uid}));
    for (const auto& it : items)
        if (buffered(it.kind)) add(&it);
    if (options.modseq && !asked(Kind::modseq)) add(&implied.emplace_back(FetchItem{Kind::modseq}));
    if (options.flags && !asked(Kind::flags)) add(&implied.emplace_back(FetchItem{Kind::flags}));
    for (const auto& it : items)
        if (!buffered(it.kind)) add(&it);

    Response r;
    r.text() += "* ";
    append_count(r.text(), message.msn);
    r.text() += " FETCH (";
    for (const auto* it : order)
        if (auto s = render_item(r, message, options, *it); !s) return s.error();
    return std::move(r).finish();
}

}  // namespace mxlab::imap
