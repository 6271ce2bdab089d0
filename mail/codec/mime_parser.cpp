// The MIME parser: one forward pass over a message's lines, fed in chunks of any size, builds the part tree with offsets, line counts and the header fields IMAP needs.
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
// Incremental (MimeParser::feed): the store parses a 50 MB message as its
// chunks pass, never holding it whole. What it keeps between chunks is the
// current line only: whole when it is a header field the structure keeps
// (or the fold of one), else its first kLineWindow bytes, enough to match
// any open boundary and to find a field's name: a field name is looked for
// in the first kLineWindow bytes of its line (RFC 5322 lines end by 998). A line that
// lies inside one chunk is not copied at all. The parse is a stack of open
// entities (the recursion of a one-view parser made explicit), each a state
// that takes the next line or hands it to its parent when it ends there.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "core/ascii.hpp"
#include "mail/codec/mime.hpp"
#include "mail/codec/mime_fields.hpp"

namespace mxlab::codec {
namespace {

// RFC 2046 allows 70 bytes; longer ones are tolerated up to the longest
// line RFC 5322 allows, which also bounds one line's walk down the trie.
constexpr std::size_t kMaxBoundary = 998;
// Of a body line split across chunks, the bytes kept: "--", the longest
// boundary, the "--" that may close it, and some slack.
constexpr std::size_t kLineWindow = kMaxBoundary + 16;

// One line: where it starts, how long it is, and its content (without the
// line break): whole in a header, possibly only its first kLineWindow bytes
// in a body (content.size() <= content_length).
struct Line {
    std::uint64_t start = 0, next = 0;
    std::uint64_t content_length = 0;
    std::string_view content;
    bool has_lf = false, bare_lf = false;
    // Whether the line starts with "--", and the text after it.
    bool dashes = false;
    std::string_view candidate;
};

// The fields one entity's header contributes, raw (folded lines joined with
// their line breaks). As in Dovecot, the first Content-* field counts, the
// last Date, Subject, In-Reply-To and Message-ID, and every address field
// (two From: fields give two senders).
struct Fields {
    std::optional<std::string> content_type, encoding, id, description, disposition, language, location, md5;
    std::optional<std::string> date, subject, in_reply_to, message_id;
    std::vector<std::string> from, sender, reply_to, to, cc, bcc;
};

// Where a field's value goes: kept if first, kept if last, or added.
struct Slot {
    std::optional<std::string>* first = nullptr;
    std::optional<std::string>* last = nullptr;
    std::vector<std::string>* all = nullptr;
    bool any() const { return first != nullptr || last != nullptr || all != nullptr; }
};

// Where an entity's bytes end, with the LF and bare LF counts there.
struct End {
    std::uint64_t at;
    std::uint64_t lf, bare;
};

}  // namespace

class MimeParser::Impl {
public:
    explicit Impl(const MimeLimits& limits) : limits_(limits) {
        if (limits_.max_parts == 0) limits_.max_parts = 1;
        if (limits_.max_depth == 0) limits_.max_depth = 1;
        start_entity(0, 0, false, true);
    }

    void feed(std::string_view chunk) {
        while (!chunk.empty()) {
            if (line_length_ == 0 && levels_.empty() && !stack_.empty() && stack_.back().state == State::leaf) {
                // A leaf with no multipart open around it (most mail: a
                // text message) runs to the end: only its lines are counted.
                const std::size_t taken = count_lines(chunk);
                chunk.remove_prefix(taken);
                if (taken > 0) continue;
            }
            const void* lf = std::memchr(chunk.data(), '\n', chunk.size());
            const std::size_t take = lf == nullptr ? chunk.size() : static_cast<std::size_t>(static_cast<const char*>(lf) - chunk.data()) + 1;
            if (lf != nullptr && line_length_ == 0) {
                // The whole line is in this chunk: read it where it is.
                const bool bare = take == 1 || chunk[take - 2] != '\r';
                complete(chunk.substr(0, take), take, true, bare);
            } else {
                append(chunk.substr(0, take));
                if (lf != nullptr) {
                    const bool bare = line_length_ == 1 || before_last_ != '\r';
                    complete(buffer_, line_length_, true, bare);
                }
            }
            chunk.remove_prefix(take);
        }
    }

    MessageStructure finish(MimeWork& work) {
        if (line_length_ > 0) complete(buffer_, line_length_, false, false);
        while (!stack_.empty()) {
            Frame& fr = stack_.back();
            if (fr.state == State::header) {
                end_header();
                continue;
            }
            if (fr.state == State::multipart && fr.open) pop();
            end_entity(false);
        }
        work.steps += steps_;
        work.peak_trie_nodes = std::max<std::uint64_t>(work.peak_trie_nodes, peak_nodes_);
        work.peak_line_bytes = std::max(work.peak_line_bytes, peak_buffer_);
        return std::move(out_);
    }

private:
    struct Match {
        int level = -1;
        bool close = false;
    };

    enum class State : std::uint8_t {
        header,     // reading header fields
        leaf,       // a body up to a delimiter of an open multipart
        multipart,  // its body parts, opened at each of its delimiters
        message,    // its embedded message is open above it
    };

    // One open entity, what the one-view parser kept in a recursive call.
    struct Frame {
        State state = State::header;
        std::uint32_t index = 0, depth = 0;
        bool digest_child = false, message_root = false;
        // The header so far: fields, and the one being read.
        Fields fields;
        Slot current;
        std::string value;
        MimePart part;  // filled here, moved in at the end: children may grow out_.parts
        std::uint64_t body_start = 0, lf_start = 0, bare_start = 0;
        // A multipart's level in the trie, whether it is still open (not
        // closed by its close delimiter), and whether it is a digest.
        std::uint32_t mine = 0;
        bool open = false, digest = false;
        // An embedded message's end, once its message ended.
        std::optional<End> inner;
    };

    // The whole lines at the start of `chunk`, as advance() would take them
    // one by one in a leaf body that nothing can end; returns their length.
    std::size_t count_lines(std::string_view chunk) {
        std::size_t at = 0;
        for (;;) {
            const void* lf = std::memchr(chunk.data() + at, '\n', chunk.size() - at);
            if (lf == nullptr) break;
            const auto i = static_cast<std::size_t>(static_cast<const char*>(lf) - chunk.data());
            previous_bare_ = i == at || chunk[i - 1] != '\r';
            ++lf_;
            if (previous_bare_) ++bare_;
            after_text_ = true;
            at = i + 1;
        }
        pos_ += at;
        steps_ += at;
        return at;
    }

    // Part of a line that continues past this chunk: kept whole inside a
    // header, else only the window a delimiter match needs.
    void append(std::string_view piece) {
        if (line_length_ == 0) whole_line_ = !stack_.empty() && stack_.back().state == State::header;
        line_length_ += piece.size();
        const std::size_t room = kLineWindow - std::min(kLineWindow, buffer_.size());
        if (room > 0) {
            buffer_.append(piece.substr(0, room));
            // The window is full: a header line goes on being kept only
            // if the structure keeps its value.
            if (whole_line_ && buffer_.size() == kLineWindow) whole_line_ = value_kept(buffer_);
            if (whole_line_) buffer_.append(piece.substr(std::min(room, piece.size())));
        } else if (whole_line_) {
            buffer_.append(piece);
        }
        peak_buffer_ = std::max<std::uint64_t>(peak_buffer_, buffer_.size());
        if (piece.size() >= 2) {
            before_last_ = piece[piece.size() - 2];
        } else {
            before_last_ = last_;
        }
        last_ = piece.back();
    }

    // Whether the header line starting with `window` is a field whose value
    // the structure keeps, or the fold of one.
    bool value_kept(std::string_view window) {
        Frame& fr = stack_.back();
        if (window[0] == ' ' || window[0] == '\t') return fr.current.any();
        const auto colon = window.find(':');
        if (colon == std::string_view::npos) return false;
        Fields scratch;
        return slot(scratch, field_name(window, colon)).any();
    }

    static std::string_view field_name(std::string_view content, std::size_t colon) {
        std::string_view name = content.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        return name;
    }

    void complete(std::string_view raw, std::uint64_t length, bool has_lf, bool bare) {
        Line l;
        l.start = pos_;
        l.next = pos_ + length;
        l.has_lf = has_lf;
        l.bare_lf = has_lf && bare;
        l.content_length = length - (has_lf ? (l.bare_lf ? 1 : 2) : 0);
        l.content = raw.substr(0, std::min<std::uint64_t>(raw.size(), l.content_length));
        steps_ += length;
        if (l.content_length >= 2 && l.content[0] == '-' && l.content[1] == '-') {
            l.dashes = true;
            l.candidate = l.content.substr(2);
        }
        match_valid_ = false;
        process(l);
        buffer_.clear();
        line_length_ = 0;
    }

    // Moves past a line; `text` says whether it was body text (a leaf's,
    // a preamble's or an epilogue's) rather than a header or delimiter line.
    void advance(const Line& l, bool text) {
        pos_ = l.next;
        if (l.has_lf) ++lf_;
        if (l.bare_lf) ++bare_;
        after_text_ = text;
        previous_bare_ = l.bare_lf;
    }

    // The line goes to the innermost open entity; one that ends at it (a
    // delimiter of an outer multipart) hands it on to its parent.
    void process(const Line& l) {
        for (;;) {
            if (stack_.empty()) {  // past the message's end: nothing reads on
                advance(l, true);
                return;
            }
            Frame& fr = stack_.back();
            switch (fr.state) {
            case State::header:
                if (match(l).level >= 0) {
                    end_header();
                    continue;
                }
                header_line(fr, l);
                return;
            case State::leaf:
                if (match(l).level >= 0) {
                    end_entity(true);
                    continue;
                }
                advance(l, true);
                return;
            case State::multipart: {
                const Match h = match(l);
                if (h.level < 0) {
                    advance(l, true);
                    return;
                }
                if (static_cast<std::uint32_t>(h.level) != fr.mine || !fr.open) {  // an outer delimiter ends this body
                    if (fr.open) pop();
                    end_entity(true);
                    continue;
                }
                advance(l, false);
                if (h.close) {
                    pop();  // the epilogue runs to an outer delimiter
                    fr.open = false;
                    return;
                }
                if (out_.parts.size() < limits_.max_parts) start_entity(fr.index, fr.depth + 1, fr.digest, false);
                return;
            }
            case State::message:  // its message ended at this line
                end_entity(true);
                continue;
            }
        }
    }

    // Whether the line is a delimiter of an open multipart, and whose: one
    // walk down the trie of open boundaries, the innermost that the line
    // starts with wins. RFC 2046 section 5.1.1: "it is sufficient that the
    // boundary appear in its entirety following the CRLF" (whatever follows,
    // trailing whitespace included, as Dovecot matches too).
    Match match(const Line& l) {
        if (match_valid_) return match_;
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
        match_ = result;
        return result;
    }

    static std::uint64_t edge_key(std::uint32_t node, char c) {
        return (static_cast<std::uint64_t>(node) << 8) | static_cast<unsigned char>(c);
    }

    std::uint32_t push(std::string_view boundary) {
        Open open{std::string(boundary), 0, boundary.size(), static_cast<std::uint32_t>(trie_levels_.size())};
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
        levels_.push_back(std::move(open));
        match_valid_ = false;
        return level;
    }

    // Multiparts close innermost first, so the trie nodes the last push
    // added serve no other open boundary: they go, and the trie never holds
    // more than the open boundaries' bytes.
    void pop() {
        const Open open = std::move(levels_.back());
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

    // One header line that is not a delimiter: the blank line ends the
    // header, a folded line continues the field, any other starts one.
    void header_line(Frame& fr, const Line& l) {
        if (l.content_length == 0) {
            advance(l, false);
            end_header();
            return;
        }
        const char first = l.content[0];
        if (first == ' ' || first == '\t') {
            if (fr.current.any()) {
                fr.value += previous_bare_ ? "\n" : "\r\n";
                fr.value += l.content;
            }
            advance(l, false);
            return;
        }
        finish_field(fr);
        const auto colon = l.content.substr(0, kLineWindow).find(':');
        if (colon != std::string_view::npos) {
            fr.current = slot(fr.fields, field_name(l.content, colon));
            if (fr.current.any()) fr.value.assign(l.content.substr(colon + 1));
            steps_ += colon;
        }
        advance(l, false);
    }

    static void finish_field(Frame& fr) {
        Slot& s = fr.current;
        if (s.first != nullptr && !s.first->has_value()) *s.first = fr.value;
        if (s.last != nullptr) *s.last = fr.value;
        if (s.all != nullptr) s.all->push_back(fr.value);
        s = {};
        fr.value.clear();
    }

    static Slot slot(Fields& f, std::string_view name) {
        if (name.size() > 8 && iequals(name.substr(0, 8), "content-")) {
            const auto rest = name.substr(8);
            if (iequals(rest, "type")) return {&f.content_type};
            if (iequals(rest, "transfer-encoding")) return {&f.encoding};
            if (iequals(rest, "id")) return {&f.id};
            if (iequals(rest, "description")) return {&f.description};
            if (iequals(rest, "disposition")) return {&f.disposition};
            if (iequals(rest, "language")) return {&f.language};
            if (iequals(rest, "location")) return {&f.location};
            if (iequals(rest, "md5")) return {&f.md5};
            return {};
        }
        if (iequals(name, "date")) return {nullptr, &f.date};
        if (iequals(name, "subject")) return {nullptr, &f.subject};
        if (iequals(name, "in-reply-to")) return {nullptr, &f.in_reply_to};
        if (iequals(name, "message-id")) return {nullptr, &f.message_id};
        if (iequals(name, "from")) return {nullptr, nullptr, &f.from};
        if (iequals(name, "sender")) return {nullptr, nullptr, &f.sender};
        if (iequals(name, "reply-to")) return {nullptr, nullptr, &f.reply_to};
        if (iequals(name, "to")) return {nullptr, nullptr, &f.to};
        if (iequals(name, "cc")) return {nullptr, nullptr, &f.cc};
        if (iequals(name, "bcc")) return {nullptr, nullptr, &f.bcc};
        return {};
    }

    static std::optional<std::string> text(const std::optional<std::string>& raw) {
        if (!raw) return std::nullopt;
        return unfold(*raw);
    }

    static std::vector<Address> addresses(const std::vector<std::string>& fields) {
        std::vector<Address> list;
        for (const auto& raw : fields) {
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

    static void describe(MimePart& p, const Fields& f, bool digest_child) {
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

    // An entity from pos_ (a line start): its header comes first.
    void start_entity(std::uint32_t parent, std::uint32_t depth, bool digest_child, bool message_root) {
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
        Frame fr;
        fr.index = index;
        fr.depth = depth;
        fr.digest_child = digest_child;
        fr.message_root = message_root;
        stack_.push_back(std::move(fr));
    }

    // The header ended (blank line, a delimiter, or the end): what the body
    // is decides how its lines are read.
    void end_header() {
        Frame& fr = stack_.back();
        finish_field(fr);
        fr.body_start = pos_;
        fr.lf_start = lf_;
        fr.bare_start = bare_;
        describe(fr.part, fr.fields, fr.digest_child);
        if (fr.message_root) fr.part.envelope = envelope(fr.fields);
        fr.fields = {};

        const bool deeper = fr.depth + 1 < limits_.max_depth;
        std::optional<std::string_view> boundary;
        for (const auto& prm : fr.part.params) {
            if (iequals(prm.name, "boundary")) {
                boundary = prm.value;
                break;
            }
        }
        fr.state = State::leaf;  // a leaf, also a message past the limits
        // Like Dovecot, an encoded message/rfc822 (which RFC 2046 section
        // 5.2.1 forbids) is still read as a message.
        if (iequals(fr.part.type, "multipart")) {
            // Without a boundary, or too deep: a multipart with no parts. An
            // empty boundary (RFC 2046 wants 1 to 70 bytes) makes every line
            // starting with "--" a delimiter, as in Dovecot.
            fr.part.kind = PartKind::multipart;
            if (boundary && boundary->size() <= kMaxBoundary && deeper) {
                fr.state = State::multipart;
                fr.mine = push(*boundary);
                fr.open = true;
                fr.digest = iequals(fr.part.subtype, "digest");
            }
        } else if (is_embedded_message(fr.part) && deeper && out_.parts.size() < limits_.max_parts) {
            fr.part.kind = PartKind::message;
            fr.state = State::message;
            const std::uint32_t index = fr.index, depth = fr.depth;
            start_entity(index, depth + 1, false, true);  // fr is not valid past here
        }
    }

    // The innermost entity ends: at a delimiter line at pos_, or at the end
    // of the message. Its body ends there, or before the line break that
    // precedes the delimiter line (RFC 2046 section 5.1.1) when that break
    // ends a line of body text. As in Dovecot, the break that ends a header
    // line or a close delimiter line stays where it is: a message/rfc822
    // whose multipart closed just before the outer delimiter keeps it. An
    // embedded message ends where its message does.
    void end_entity(bool at_delimiter) {
        Frame& fr = stack_.back();
        End e{pos_, lf_, bare_};
        if (fr.inner) {
            e = *fr.inner;
        } else if (at_delimiter && pos_ > fr.body_start && after_text_) {
            e.at = pos_ - 1;  // the LF
            --e.lf;
            if (previous_bare_) {
                --e.bare;
            } else {
                --e.at;
            }
        }
        MimePart& stored = out_.parts[fr.index];
        MimePart& part = fr.part;
        part.header_start = stored.header_start;
        part.parent = stored.parent;
        part.first_child = stored.first_child;
        part.next_sibling = stored.next_sibling;
        part.body_start = fr.body_start;
        part.end = e.at;
        part.lines = e.lf - fr.lf_start;
        part.bare_lf = e.bare - fr.bare_start;
        stored = std::move(part);
        stack_.pop_back();
        if (!stack_.empty() && stack_.back().state == State::message) stack_.back().inner = e;
    }

    MimeLimits limits_;
    MessageStructure out_;
    std::vector<std::uint32_t> last_child_;
    std::vector<Frame> stack_;  // the open entities, the message first
    // The open boundaries: a trie over their bytes (node 0 the root; an edge
    // per (node, byte)), the levels whose boundary ends at each node
    // (innermost last: a nested multipart may reuse its parent's boundary),
    // and for each open level, outermost first, its boundary, its node, how
    // many of its bytes were already in the trie and the node count before.
    struct Open {
        std::string boundary;
        std::uint32_t node;
        std::size_t shared;
        std::uint32_t nodes_before;
    };
    std::unordered_map<std::uint64_t, std::uint32_t> trie_edges_;
    std::vector<std::vector<std::uint32_t>> trie_levels_{1};
    std::vector<Open> levels_;
    std::size_t peak_nodes_ = 1;
    std::uint64_t pos_ = 0;             // where the next line starts
    std::uint64_t lf_ = 0, bare_ = 0;  // LFs and bare LFs before pos_
    bool after_text_ = false;          // the line before pos_ was body text
    bool previous_bare_ = false;       // ... and ended in a bare LF
    std::uint64_t steps_ = 0;
    Match match_;
    bool match_valid_ = false;
    // The line being read across chunks: its length so far, its kept bytes,
    // whether it is kept whole, and its last two bytes (a CR before the LF).
    std::uint64_t line_length_ = 0;
    std::string buffer_;
    bool whole_line_ = false;
    char last_ = 0, before_last_ = 0;
    std::uint64_t peak_buffer_ = 0;
};

MimeParser::MimeParser(const MimeLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
MimeParser::MimeParser(MimeParser&&) noexcept = default;
MimeParser& MimeParser::operator=(MimeParser&&) noexcept = default;
MimeParser::~MimeParser() = default;

void MimeParser::feed(std::string_view chunk) { impl_->feed(chunk); }

MessageStructure MimeParser::finish(MimeWork* work) {
    MimeWork local;
    auto result = impl_->finish(work != nullptr ? *work : local);
    impl_.reset();
    return result;
}

bool is_embedded_message(const MimePart& part) {
    return iequals(part.type, "message") && (iequals(part.subtype, "rfc822") || iequals(part.subtype, "global"));
}

MessageStructure parse_mime(std::string_view message, const MimeLimits& limits, MimeWork* work) {
    MimeParser parser(limits);
    parser.feed(message);
    return parser.finish(work);
}

}  // namespace mxlab::codec
