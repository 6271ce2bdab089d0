// The compact form of a MessageStructure the store keeps beside a message body, and its length-checked decoder.
//
// Layout (version 1): "M" 0x01, varint part count, then per part in
// pre-order: varint parent (parts after the first; less than the part's own
// index), byte kind, byte presence bits, varints header_start,
// body_start - header_start, end - body_start, lines, bare_lf, strings type
// and subtype, params, the optional strings present, disposition params,
// languages, and the envelope if present. A string is a varint length and
// the bytes; a list a varint count and its items. Children and siblings are
// rebuilt from the parents, so a decoded tree cannot be cyclic.
#include <limits>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {
namespace {

constexpr char kMagic = 'M';
constexpr char kVersion = 1;
constexpr std::uint16_t kMaxDepth = 2 * MimeLimits{}.max_depth;

enum Presence : std::uint8_t {
    has_id = 1, has_description = 2, has_encoding = 4, has_md5 = 8,
    has_location = 16, has_disposition = 32, has_envelope = 64,
};

class Writer {
public:
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out += static_cast<char>(v);
    }
    void str(std::string_view s) {
        varint(s.size());
        out += s;
    }
    void opt(const std::optional<std::string>& s) {
        if (s) str(*s);
    }
    void params(const std::vector<MimeParam>& ps) {
        varint(ps.size());
        for (const auto& p : ps) {
            str(p.name);
            str(p.value);
        }
    }
    void addresses(const std::vector<Address>& list) {
        varint(list.size());
        for (const auto& a : list) {
            out += static_cast<char>((a.name ? 1 : 0) | (a.adl ? 2 : 0) | (a.mailbox ? 4 : 0) | (a.host ? 8 : 0));
            opt(a.name);
            opt(a.adl);
            opt(a.mailbox);
            opt(a.host);
        }
    }
    std::string out;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return ok_; }
    bool done() const { return pos_ == in_.size(); }
    std::size_t left() const { return in_.size() - pos_; }

    std::uint8_t byte() {
        if (pos_ >= in_.size()) return fail(), 0;
        return static_cast<std::uint8_t>(in_[pos_++]);
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const std::uint8_t b = byte();
            if (!ok_) return 0;
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (shift == 63 && b > 1) break;  // more than 64 bits
                return v;
            }
        }
        fail();
        return 0;
    }
    // A count of items each at least `min_bytes` long: more than the input
    // can hold is malformed (and would allocate for nothing).
    std::size_t count(std::size_t min_bytes) {
        const std::uint64_t n = varint();
        if (n > left() / min_bytes) return fail(), 0;
        return static_cast<std::size_t>(n);
    }
    std::string str() {
        const std::uint64_t n = varint();
        if (n > left()) return fail(), std::string{};
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    void opt(std::optional<std::string>& s, bool present) {
        if (present) s = str();
    }
    std::vector<MimeParam> params() {
        std::vector<MimeParam> ps(count(2));
        for (auto& p : ps) {
            p.name = str();
            p.value = str();
        }
        return ps;
    }
    std::vector<Address> addresses() {
        std::vector<Address> list(count(1));
        for (auto& a : list) {
            const std::uint8_t bits = byte();
            if (bits > 15) fail();
            opt(a.name, bits & 1);
            opt(a.adl, bits & 2);
            opt(a.mailbox, bits & 4);
            opt(a.host, bits & 8);
        }
        return list;
    }
    void fail() { ok_ = false; pos_ = in_.size(); }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

void write_envelope(Writer& w, const Envelope& e) {
    w.out += static_cast<char>((e.date ? 1 : 0) | (e.subject ? 2 : 0) | (e.in_reply_to ? 4 : 0) | (e.message_id ? 8 : 0));
    w.opt(e.date);
    w.opt(e.subject);
    w.opt(e.in_reply_to);
    w.opt(e.message_id);
    for (const auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) w.addresses(*list);
}

Envelope read_envelope(Reader& r) {
    Envelope e;
    const std::uint8_t bits = r.byte();
    if (bits > 15) r.fail();
    r.opt(e.date, bits & 1);
    r.opt(e.subject, bits & 2);
    r.opt(e.in_reply_to, bits & 4);
    r.opt(e.message_id, bits & 8);
    for (auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) *list = r.addresses();
    return e;
}

}  // namespace

std::string encode_structure(const MessageStructure& s) {
    Writer w;
    w.out += kMagic;
    w.out += kVersion;
    w.varint(s.parts.size());
    for (std::size_t i = 0; i < s.parts.size(); ++i) {
        const MimePart& p = s.parts[i];
        if (i > 0) w.varint(p.parent);
        w.out += static_cast<char>(p.kind);
        w.out += static_cast<char>((p.id ? has_id : 0) | (p.description ? has_description : 0) |
                                   (p.encoding ? has_encoding : 0) | (p.md5 ? has_md5 : 0) |
                                   (p.location ? has_location : 0) | (p.disposition ? has_disposition : 0) |
                                   (p.envelope ? has_envelope : 0));
        w.varint(p.header_start);
        w.varint(p.body_start - p.header_start);
        w.varint(p.end - p.body_start);
        w.varint(p.lines);
        w.varint(p.bare_lf);
        w.str(p.type);
        w.str(p.subtype);
        w.params(p.params);
        w.opt(p.id);
        w.opt(p.description);
        w.opt(p.encoding);
        w.opt(p.md5);
        w.opt(p.location);
        w.opt(p.disposition);
        w.params(p.disposition_params);
        w.varint(p.languages.size());
        for (const auto& l : p.languages) w.str(l);
        if (p.envelope) write_envelope(w, *p.envelope);
    }
    return std::move(w.out);
}

std::optional<MessageStructure> decode_structure(std::string_view bytes, std::uint64_t message_size) {
    Reader r(bytes);
    if (r.byte() != kMagic || r.byte() != kVersion) return std::nullopt;
    MessageStructure s;
    // A part takes at least 12 bytes; at least one part (the message).
    const std::size_t n = r.count(12);
    if (!r.ok() || n == 0) return std::nullopt;
    s.parts.resize(n);
    std::vector<std::uint32_t> last_child(n, 0);
    std::vector<std::uint16_t> depth(n, 0);
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max() / 4;
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
        MimePart& p = s.parts[i];
        if (i > 0) {
            const std::uint64_t parent = r.varint();
            if (parent >= i) return std::nullopt;
            // Deeper than the parser ever nests: the renderer recurses.
            if ((depth[i] = static_cast<std::uint16_t>(depth[parent] + 1)) > kMaxDepth) return std::nullopt;
            p.parent = static_cast<std::uint32_t>(parent);
            MimePart& up = s.parts[parent];
            if (up.kind == PartKind::leaf) return std::nullopt;
            if (up.kind == PartKind::message && up.first_child != 0) return std::nullopt;  // one embedded message
            if (last_child[parent] == 0) {
                up.first_child = static_cast<std::uint32_t>(i);
            } else {
                s.parts[last_child[parent]].next_sibling = static_cast<std::uint32_t>(i);
            }
            last_child[parent] = static_cast<std::uint32_t>(i);
        }
        const std::uint8_t kind = r.byte();
        if (kind > 2) return std::nullopt;
        p.kind = static_cast<PartKind>(kind);
        const std::uint8_t bits = r.byte();
        if (bits >= 128) return std::nullopt;
        const std::uint64_t header_start = r.varint(), header_len = r.varint(), body_len = r.varint();
        if (header_start > kMax || header_len > kMax || body_len > kMax) return std::nullopt;
        p.header_start = header_start;
        p.body_start = header_start + header_len;
        p.end = p.body_start + body_len;
        if (p.end > message_size) return std::nullopt;
        p.lines = r.varint();
        p.bare_lf = r.varint();
        if (p.bare_lf > p.lines) return std::nullopt;
        p.type = r.str();
        p.subtype = r.str();
        p.params = r.params();
        r.opt(p.id, bits & has_id);
        r.opt(p.description, bits & has_description);
        r.opt(p.encoding, bits & has_encoding);
        r.opt(p.md5, bits & has_md5);
        r.opt(p.location, bits & has_location);
        r.opt(p.disposition, bits & has_disposition);
        p.disposition_params = r.params();
        p.languages.resize(r.count(1));
        for (auto& l : p.languages) l = r.str();
        if (bits & has_envelope) p.envelope = read_envelope(r);
    }
    if (!r.ok() || !r.done()) return std::nullopt;
    // What render_bodystructure relies on: an embedded message has its
    // message, whose root carries an envelope.
    for (const MimePart& p : s.parts) {
        if (p.kind == PartKind::message && (p.first_child == 0 || !s.parts[p.first_child].envelope)) return std::nullopt;
    }
    if (!s.parts[0].envelope) return std::nullopt;
    return s;
}

}  // namespace mxlab::codec
