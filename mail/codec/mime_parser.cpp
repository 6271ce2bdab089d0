// The MIME parser: one forward pass over a message's lines builds the part tree with offsets, line counts and the header fields IMAP needs.
//
// Our own parser rather than GMime (libgmime-3.0), because IMAP needs what
// GMime does not promise and the appliance does not want what GMime brings:
// - Byte-exact offsets, sizes and line counts of each body as encoded, with
//   the line break before a boundary left out (RFC 2046 section 5.1.1) and
//   bare LF counted as CRLF, the way Dovecot reports them; GMime decodes and
//   normalizes, and its stream offsets are not its documented contract.
// - Bounded work on hostile input: GMime has no limit on parts or nesting
//   and no way to say "stop looking inside here"; this parser has both
//   (MimeLimits) and a work counter the tests bound.
// - GMime pulls GLib and GObject into a daemon that uses neither: a second
//   allocator, reference-counted objects per part, global type registration,
//   and a library the fuzz build (clang, ASan) would also have to link.
// - Speed: one pass, no copies of bodies, a hash lookup per line that starts
//   with "--"; the result is a few plain vectors that serialize compactly.
// What it follows: RFC 2045 (header fields), 2046 (multipart: preamble and
// epilogue ignored, defaults text/plain; charset=us-ascii and message/rfc822
// in multipart/digest), 2231 (parameters, in mime_fields.cpp), 6532
// (message/global is an embedded message like message/rfc822), 3501 section
// 7.4.2 (what ENVELOPE and BODYSTRUCTURE need).
//
// Linear time: each line is scanned once (a child stopping at a boundary
// line leaves the match cached for its parents); a line is a boundary
// candidate only if it starts with "--", and then one walk down a trie of
// the open boundaries finds every boundary it starts with: no comparison
// per open boundary, no backtracking. A boundary reused by a nested
// multipart belongs to the innermost one until that one closes (as Dovecot
// reads it); a boundary longer than 998 bytes gives a multipart no parts.
// Bounded: at MimeLimits::max_depth a multipart is one with no parts and an
// embedded message a leaf, their bodies opaque (BODYSTRUCTURE shows an empty
// part, as Dovecot does for a multipart without parts; BODY[section] of the
// part still has all its bytes); once the message has max_parts parts, later
// body parts of any multipart are not listed (their bytes stay inside that
// multipart). Memory is the part vector plus the header values kept, so
// proportional to the part count and header bytes.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "mail/codec/ascii.hpp"
#include "mail/codec/mime.hpp"
#include "mail/codec/mime_fields.hpp"

namespace mxlab::codec {
namespace {

// RFC 2046 allows 70 bytes; longer ones are tolerated up to the longest
// line RFC 5322 allows, which also bounds one line's walk down the trie.
constexpr std::size_t kMaxBoundary = 998;

struct Line {
    std::size_t start = 0, content_end = 0, next = 0;
    bool has_lf = false, bare_lf = false;
    // Whether the line starts with "--", and the text after it.
    bool dashes = false;
    std::string_view candidate;
};

// The fields one entity's header contributes, raw. As in Dovecot, the first
// Content-* field counts, the last Date, Subject, In-Reply-To and
// Message-ID, and every address field (two From: fields give two senders).
struct Fields {
    std::optional<std::string_view> content_type, encoding, id, description, disposition, language, location, md5;
    std::optional<std::string_view> date, subject, in_reply_to, message_id;
    std::vector<std::string_view> from, sender, reply_to, to, cc, bcc;
};

class Parser {
public:
    Parser(std::string_view message, const MimeLimits& limits) : m_(message), limits_(limits) {}

    MessageStructure run(MimeWork& work) {
        entity(0, 0, false, true);
        work.steps += steps_;
        work.peak_trie_nodes = std::max<std::uint64_t>(work.peak_trie_nodes, peak_nodes_);
        return std::move(out_);
    }

private:
    struct Match {
        int level = -1;
        bool close = false;
    };

    Line line_at(std::size_t p) {
        if (cached_line_valid_ && cached_line_.start == p) return cached_line_;
        Line l;
        l.start = p;
        const void* lf = std::memchr(m_.data() + p, '\n', m_.size() - p);
        if (lf == nullptr) {
            l.content_end = l.next = m_.size();
        } else {
            const auto at = static_cast<std::size_t>(static_cast<const char*>(lf) - m_.data());
            l.next = at + 1;
            l.has_lf = true;
            l.bare_lf = at == p || m_[at - 1] != '\r';
            l.content_end = l.bare_lf ? at : at - 1;
        }
        steps_ += l.next - p;
        if (l.content_end - p >= 2 && m_[p] == '-' && m_[p + 1] == '-') {
            l.dashes = true;
            l.candidate = m_.substr(p + 2, l.content_end - p - 2);
        }
        cached_line_ = l;
        cached_line_valid_ = true;
        match_valid_ = false;
        return l;
    }

    // Moves past a line; `text` says whether it was body text (a leaf's,
    // a preamble's or an epilogue's) rather than a header or delimiter line.
    void advance(const Line& l, bool text) {
        pos_ = l.next;
        if (l.has_lf) ++lf_;
        if (l.bare_lf) ++bare_;
        after_text_ = text;
    }

    // Whether the line is a delimiter of an open multipart, and whose: one
    // walk down the trie of open boundaries, the innermost that the line
    // starts with wins. RFC 2046 section 5.1.1: "it is sufficient that the
    // boundary appear in its entirety following the CRLF" (whatever follows,
    // trailing whitespace included, as Dovecot matches too).
    Match match(const Line& l) {
        if (match_valid_ && matched_line_ == l.start) return match_;
        Match result;
        const std::string_view text = l.candidate;
        std::size_t matched_length = 0;
        if (l.dashes && !levels_.empty()) {
            std::uint32_t node = 0;
            if (!trie_levels_[0].empty()) result.level = static_cast<int>(trie_levels_[0].back());  // boundary=""
            for (std::size_t i = 0; i < text.size(); ++i) {
                const auto edge = trie_edges_.find(edge_key(node, text[i]));
                if (edge == trie_edges_.end()) break;
                node = edge->second;
                ++steps_;
                if (!trie_levels_[node].empty() && static_cast<int>(trie_levels_[node].back()) > result.level) {
                    result.level = static_cast<int>(trie_levels_[node].back());
                    matched_length = i + 1;
                }
            }
            result.close = result.level >= 0 && text.substr(matched_length, 2) == "--";
        }
        match_valid_ = true;
        matched_line_ = l.start;
        match_ = result;
        return result;
    }

    static std::uint64_t edge_key(std::uint32_t node, char c) {
        return (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(c);
    }

    std::uint32_t push(std::string_view boundary) {
        Open open{boundary, 0, boundary.size(), static_cast<std::uint32_t>(trie_levels_.size())};
        std::uint32_t node = 0;
        for (std::size_t i = 0; i < boundary.size(); ++i) {
            const auto [edge, added] = trie_edges_.try_emplace(edge_key(node, boundary[i]),
                                                               static_cast<std::uint32_t>(trie_levels_.size()));
            if (added) {
                trie_levels_.emplace_back();
                open.shared = std::min(open.shared, i);
            }
            node = edge->second;
        }
        open.node = node;
        peak_nodes_ = std::max(peak_nodes_, trie_levels_.size());
        const auto level = static_cast<std::uint32_t>(levels_.size());
        trie_levels_[node].push_back(level);
        levels_.push_back(open);
        match_valid_ = false;
        return level;
    }

    // Multiparts close innermost first, so the trie nodes the last push
    // added serve no other open boundary: they go, and the trie never holds
    // more than the open boundaries' bytes.
    void pop() {
        const Open open = levels_.back();
        levels_.pop_back();
        trie_levels_[open.node].pop_back();
        std::uint32_t node = 0;
        for (std::size_t i = 0; i < open.boundary.size(); ++i) {
            const auto edge = trie_edges_.find(edge_key(node, open.boundary[i]));
            node = edge->second;
            if (i >= open.shared) trie_edges_.erase(edge);
        }
        trie_levels_.resize(open.nodes_before);
        match_valid_ = false;
    }

    // Reads header fields up to the blank line (or a delimiter, or the end).
    Fields header() {
        Fields f;
        Slot current;
        std::size_t value_start = 0;
        auto finish = [&](std::size_t value_end) {
            const std::string_view value = m_.substr(value_start, value_end - value_start);
            if (current.first != nullptr && !current.first->has_value()) *current.first = value;
            if (current.last != nullptr) *current.last = value;
            if (current.all != nullptr) current.all->push_back(value);
            current = {};
        };
        std::size_t last_end = pos_;
        while (pos_ < m_.size()) {
            const Line l = line_at(pos_);
            if (match(l).level >= 0) break;
            if (l.content_end == l.start) {
                advance(l, false);
                break;
            }
            const char first = m_[l.start];
            if (first == ' ' || first == '\t') {
                last_end = l.content_end;  // a folded line continues the field
                advance(l, false);
                continue;
            }
            finish(last_end);
            const std::string_view text = m_.substr(l.start, l.content_end - l.start);
            const auto colon = text.find(':');
            if (colon != std::string_view::npos) {
                std::string_view name = text.substr(0, colon);
                while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
                current = slot(f, name);
                value_start = l.start + colon + 1;
                steps_ += colon;
            }
            last_end = l.content_end;
            advance(l, false);
        }
        finish(last_end);
        return f;
    }

    // Where a field's value goes: kept if first, kept if last, or added.
    struct Slot {
        std::optional<std::string_view>* first = nullptr;
        std::optional<std::string_view>* last = nullptr;
        std::vector<std::string_view>* all = nullptr;
    };

    static Slot slot(Fields& f, std::string_view name) {
        if (name.size() > 8 && ascii_iequals(name.substr(0, 8), "content-")) {
            const auto rest = name.substr(8);
            if (ascii_iequals(rest, "type")) return {&f.content_type};
            if (ascii_iequals(rest, "transfer-encoding")) return {&f.encoding};
            if (ascii_iequals(rest, "id")) return {&f.id};
            if (ascii_iequals(rest, "description")) return {&f.description};
            if (ascii_iequals(rest, "disposition")) return {&f.disposition};
            if (ascii_iequals(rest, "language")) return {&f.language};
            if (ascii_iequals(rest, "location")) return {&f.location};
            if (ascii_iequals(rest, "md5")) return {&f.md5};
            return {};
        }
        if (ascii_iequals(name, "date")) return {nullptr, &f.date};
        if (ascii_iequals(name, "subject")) return {nullptr, &f.subject};
        if (ascii_iequals(name, "in-reply-to")) return {nullptr, &f.in_reply_to};
        if (ascii_iequals(name, "message-id")) return {nullptr, &f.message_id};
        if (ascii_iequals(name, "from")) return {nullptr, nullptr, &f.from};
        if (ascii_iequals(name, "sender")) return {nullptr, nullptr, &f.sender};
        if (ascii_iequals(name, "reply-to")) return {nullptr, nullptr, &f.reply_to};
        if (ascii_iequals(name, "to")) return {nullptr, nullptr, &f.to};
        if (ascii_iequals(name, "cc")) return {nullptr, nullptr, &f.cc};
        if (ascii_iequals(name, "bcc")) return {nullptr, nullptr, &f.bcc};
        return {};
    }

    static std::optional<std::string> text(const std::optional<std::string_view>& raw) {
        if (!raw) return std::nullopt;
        return unfold(*raw);
    }

    static std::vector<Address> addresses(const std::vector<std::string_view>& fields) {
        std::vector<Address> list;
        for (const auto raw : fields) {
            auto more = parse_address_list(unfold(raw));
            list.insert(list.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
        }
        return list;
    }

    static Envelope envelope(const Fields& f) {
        Envelope e;
        e.date = text(f.date);
        if (f.subject) {
            // Line breaks kept: ENVELOPE shows a folded subject the way
            // Dovecot does (render_envelope), which depends on them.
            std::string_view v = *f.subject;
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            e.subject = std::string(v);
        }
        e.in_reply_to = text(f.in_reply_to);
        e.message_id = text(f.message_id);
        e.from = addresses(f.from);
        e.sender = addresses(f.sender);
        e.reply_to = addresses(f.reply_to);
        e.to = addresses(f.to);
        e.cc = addresses(f.cc);
        e.bcc = addresses(f.bcc);
        return e;
    }

    void describe(MimePart& p, const Fields& f, bool digest_child) {
        std::optional<ContentType> ct;
        if (f.content_type) ct = parse_content_type(unfold(*f.content_type));
        if (ct) {
            p.type = std::move(ct->type);
            p.subtype = std::move(ct->subtype);
            p.params = std::move(ct->params);
        } else if (digest_child) {
            p.type = "message";
            p.subtype = "rfc822";
        } else {
            p.type = "text";
            p.subtype = "plain";
        }
        if (f.encoding) {
            auto token = first_token(unfold(*f.encoding));
            if (!token.empty()) p.encoding = std::move(token);
        }
        p.id = text(f.id);
        p.description = text(f.description);
        p.md5 = text(f.md5);
        p.location = text(f.location);
        if (f.disposition) {
            if (auto d = parse_disposition(unfold(*f.disposition))) {
                p.disposition = std::move(d->type);
                p.disposition_params = std::move(d->params);
            }
        }
        if (f.language) p.languages = parse_languages(unfold(*f.language));
    }

    // Where an entity's bytes end, with the LF and bare LF counts there.
    struct End {
        std::size_t at;
        std::uint64_t lf, bare;
    };

    // One entity from pos_ (a line start): its header, then its body up to
    // a delimiter line of an open multipart or the end.
    End entity(std::uint32_t parent, std::uint32_t depth, bool digest_child, bool message_root) {
        const auto index = static_cast<std::uint32_t>(out_.parts.size());
        out_.parts.emplace_back();
        last_child_.push_back(0);
        if (index != 0) {
            out_.parts[index].parent = parent;
            if (last_child_[parent] == 0) {
                out_.parts[parent].first_child = index;
            } else {
                out_.parts[last_child_[parent]].next_sibling = index;
            }
            last_child_[parent] = index;
        }
        out_.parts[index].header_start = pos_;
        const Fields f = header();
        MimePart part;  // filled here, moved in at the end: children may grow out_.parts
        const std::size_t body_start = pos_;
        const std::uint64_t lf_start = lf_, bare_start = bare_;
        describe(part, f, digest_child);
        if (message_root) part.envelope = envelope(f);

        const bool deeper = depth + 1 < limits_.max_depth;
        std::optional<End> inner;
        std::optional<std::string_view> boundary;
        for (const auto& prm : part.params) {
            if (ascii_iequals(prm.name, "boundary")) {
                boundary = prm.value;
                break;
            }
        }
        // Like Dovecot, an encoded message/rfc822 (which RFC 2046 section
        // 5.2.1 forbids) is still read as a message.
        if (ascii_iequals(part.type, "multipart")) {
            // Without a boundary, or too deep: a multipart with no parts. An
            // empty boundary (RFC 2046 wants 1 to 70 bytes) makes every line
            // starting with "--" a delimiter, as in Dovecot.
            part.kind = PartKind::multipart;
            if (boundary && boundary->size() <= kMaxBoundary && deeper) {
                multipart_body(index, depth, *boundary, ascii_iequals(part.subtype, "digest"));
            } else {
                skip_to_delimiter();
            }
        } else if (is_embedded_message(part) && deeper && out_.parts.size() < limits_.max_parts) {
            part.kind = PartKind::message;
            inner = entity(index, depth + 1, false, true);
        } else {
            skip_to_delimiter();  // a leaf, also a message past the limits
        }

        // Where this body ends: the end, or before the line break that
        // precedes the delimiter line at pos_ (RFC 2046 section 5.1.1) when
        // that break ends a line of body text. As in Dovecot, the break
        // that ends a header line or a close delimiter line stays where it
        // is: a message/rfc822 whose multipart closed just before the outer
        // delimiter keeps it. An embedded message ends where its message does.
        End e{pos_, lf_, bare_};
        if (inner) {
            e = *inner;
        } else if (pos_ < m_.size() && pos_ > body_start && after_text_) {
            e.at = pos_ - 1;  // the LF
            --e.lf;
            if (e.at > body_start && m_[e.at - 1] == '\r') {
                --e.at;
            } else {
                --e.bare;
            }
        }
        const auto first_child = out_.parts[index].first_child, next_sibling = out_.parts[index].next_sibling;
        part.header_start = out_.parts[index].header_start;
        part.parent = out_.parts[index].parent;
        part.first_child = first_child;
        part.next_sibling = next_sibling;
        part.body_start = body_start;
        part.end = e.at;
        part.lines = e.lf - lf_start;
        part.bare_lf = e.bare - bare_start;
        out_.parts[index] = std::move(part);
        return e;
    }

    void skip_to_delimiter() {
        while (pos_ < m_.size()) {
            const Line l = line_at(pos_);
            if (match(l).level >= 0) return;
            advance(l, true);
        }
    }

    void multipart_body(std::uint32_t index, std::uint32_t depth, std::string_view boundary, bool digest) {
        const std::uint32_t mine = push(boundary);
        bool open = true;
        while (pos_ < m_.size()) {
            const Line l = line_at(pos_);
            const Match h = match(l);
            if (h.level < 0) {
                advance(l, true);
                continue;
            }
            if (static_cast<std::uint32_t>(h.level) != mine || !open) break;  // an outer delimiter ends this body
            advance(l, false);
            if (h.close) {
                pop();  // the epilogue runs to an outer delimiter
                open = false;
                continue;
            }
            if (out_.parts.size() < limits_.max_parts) {
                entity(index, depth + 1, digest, false);
            }
        }
        if (open) pop();
    }

    std::string_view m_;
    MimeLimits limits_;
    MessageStructure out_;
    std::vector<std::uint32_t> last_child_;
    // The open boundaries: a trie over their bytes (node 0 the root; an edge
    // per (node, byte)), the levels whose boundary ends at each node
    // (innermost last: a nested multipart may reuse its parent's boundary),
    // and for each open level, outermost first, its boundary, its node, how
    // many of its bytes were already in the trie and the node count before.
    struct Open {
        std::string_view boundary;
        std::uint32_t node;
        std::size_t shared;
        std::uint32_t nodes_before;
    };
    std::unordered_map<std::uint64_t, std::uint32_t> trie_edges_;
    std::vector<std::vector<std::uint32_t>> trie_levels_{1};
    std::vector<Open> levels_;
    std::size_t peak_nodes_ = 1;
    std::size_t pos_ = 0;
    std::uint64_t lf_ = 0, bare_ = 0;  // LFs and bare LFs before pos_
    bool after_text_ = false;          // the line before pos_ was body text
    std::uint64_t steps_ = 0;
    Line cached_line_;
    bool cached_line_valid_ = false;
    Match match_;
    std::size_t matched_line_ = 0;
    bool match_valid_ = false;
};

}  // namespace

bool is_embedded_message(const MimePart& part) {
    return ascii_iequals(part.type, "message") && (ascii_iequals(part.subtype, "rfc822") || ascii_iequals(part.subtype, "global"));
}

MessageStructure parse_mime(std::string_view message, const MimeLimits& limits, MimeWork* work) {
    MimeWork local;
    MimeLimits effective = limits;
    if (effective.max_parts == 0) effective.max_parts = 1;
    if (effective.max_depth == 0) effective.max_depth = 1;
    return Parser(message, effective).run(work != nullptr ? *work : local);
}

}  // namespace mxlab::codec
