// Per-query processing: parse and check the query, then the precompiled fast path or plan-and-encode.
#include "dns/responder.hpp"

#include <algorithm>

#include "dns/responder_state.hpp"

namespace mxlab::dns {

// ---- reply helpers ----

std::span<const std::uint8_t> Responder::State::finish(std::size_t len, std::uint16_t flags, std::uint16_t qd,
                                                       std::uint16_t an, std::uint16_t ns, std::uint16_t ar) {
    std::uint8_t* p = out.get();
    put16(p, req.id);
    put16(p + 2, recursion ? static_cast<std::uint16_t>(flags | flag::ra) : flags);
    put16(p + 4, qd);
    put16(p + 6, an);
    put16(p + 8, ns);
    put16(p + 10, ar);
    return {p, len};
}

std::size_t Responder::State::put_opt(std::size_t pos, std::uint8_t ext_rcode, std::uint16_t ede) {
    std::uint8_t* p = out.get() + pos;
    p[0] = 0;  // root owner
    put16(p + 1, rrtype::OPT);
    put16(p + 3, max_udp);  // what we accept
    p[5] = ext_rcode;
    p[6] = 0;                               // version
    put16(p + 7, req.do_bit ? 0x8000 : 0);  // RFC 3225: DO is copied
    if (ede == 0) {
        put16(p + 9, 0);
        return opt_size;
    }
    put16(p + 9, 6);
    put16(p + 11, 15);  // option EDE
    put16(p + 13, 2);
    put16(p + 15, ede);
    return opt_size + 6;
}

std::span<const std::uint8_t> Responder::State::header_only(std::uint16_t flags, std::uint8_t rcode) {
    return finish(header_size, static_cast<std::uint16_t>(flag::qr | flags | rcode), 0, 0, 0, 0);
}

std::span<const std::uint8_t> Responder::State::question_only(std::span<const std::uint8_t> query, std::uint16_t flags,
                                                              std::uint8_t rcode, std::uint16_t ede,
                                                              std::uint8_t ext_rcode) {
    std::memcpy(out.get() + header_size, query.data() + header_size, req.question_end - header_size);
    std::size_t pos = req.question_end;
    if (req.edns) pos += put_opt(pos, ext_rcode, ede);
    return finish(pos, static_cast<std::uint16_t>(flag::qr | flags | rcode), 1, 0, 0, req.edns ? 1 : 0);
}

namespace {

// OPT (RFC 6891 6.1.2) at data[pos], owner already known to be the root.
// Fills the EDNS fields; false when malformed or a second OPT.
bool parse_opt(std::span<const std::uint8_t> q, std::size_t& pos, Responder::State::Request& req) {
    if (req.edns || pos + 11 > q.size() || q[pos] != 0) return false;
    const std::uint8_t* p = q.data() + pos;
    if (get16(p + 1) != rrtype::OPT) return false;
    const std::size_t rdlen = get16(p + 9);
    if (pos + 11 + rdlen > q.size()) return false;
    // Options are code, length, data; they must fill RDATA exactly.
    std::size_t o = pos + 11;
    const std::size_t end = o + rdlen;
    while (o < end) {
        if (o + 4 > end) return false;
        o += 4 + get16(q.data() + o + 2);
        if (o > end) return false;
    }
    req.edns = true;
    req.payload = std::max<std::uint16_t>(get16(p + 3), 512);  // RFC 6891 6.2.5
    req.edns_version = p[6];
    req.do_bit = (get16(p + 7) & 0x8000) != 0;
    pos = end;
    return true;
}

// IXFR's SOA in the authority section (RFC 1995 3): only the serial matters.
bool parse_ixfr_soa(std::span<const std::uint8_t> q, std::size_t& pos, Responder::State::Request& req) {
    std::size_t p = skip_name(q, pos);
    if (p == 0 || p + 10 > q.size() || get16(q.data() + p) != rrtype::SOA) return false;
    const std::size_t rdlen = get16(q.data() + p + 8);
    const std::size_t rd = p + 10;
    const std::size_t end = rd + rdlen;
    if (end > q.size()) return false;
    const auto rdata = q.first(end);
    std::size_t at = skip_name(rdata, rd);
    if (at != 0) at = skip_name(rdata, at);
    if (at == 0 || at + 20 != end) return false;
    req.has_soa = true;
    req.client_serial = get32(q.data() + at);
    pos = end;
    return true;
}

// `wire` is a literal whose terminating NUL is the root label.
template <std::size_t N>
bool is_name(const Name& n, const char (&wire)[N]) {
    return n.len == N && std::memcmp(n.bytes.data(), wire, N) == 0;
}

}  // namespace

// ---- Responder ----

Responder::Responder() : s_(std::make_unique<State>()) {}
Responder::~Responder() = default;

std::uint16_t Responder::max_udp_payload() const { return s_->max_udp; }
void Responder::set_max_udp_payload(std::uint16_t bytes) { s_->max_udp = std::max<std::uint16_t>(bytes, 512); }

void Responder::set_use_precompiled(bool on) { s_->use_precompiled = on; }

bool Responder::transfer_in_progress() const { return s_->xfr.active; }

const ForwardQuery* Responder::forward_query() const { return s_->forwarding ? &s_->forward : nullptr; }

std::span<const std::uint8_t> Responder::next_transfer_message(const ZoneSet& zones) {
    return s_->next_transfer_message(zones);
}

std::span<const std::uint8_t> Responder::respond(const ZoneSet& zs, std::span<const std::uint8_t> q,
                                                 const QueryContext& ctx) {
    State& s = *s_;
    s.xfr.active = false;
    s.forwarding = false;
    s.recursion = recursion_allowed(zs, ctx.client);
    if (q.size() < header_size) return {};
    const std::uint16_t flags = get16(q.data() + 2);
    if (flags & flag::qr) return {};  // a reply: never answer one (no loops between servers)

    State::Request& req = s.req;
    req = {};
    req.id = get16(q.data());
    req.keep = flags & (flag::rd | 0x7800);
    const std::uint8_t op = (flags >> 11) & 0xF;
    if (op == opcode::notify) return s.header_only(req.keep | flag::aa, rcode::refused);  // we are no secondary
    if (op != opcode::query) return s.header_only(req.keep, rcode::notimp);
    if ((flags & 0xF) != 0) return s.header_only(req.keep, rcode::formerr);

    const std::uint16_t qd = get16(q.data() + 4);
    const std::uint16_t an = get16(q.data() + 6);
    const std::uint16_t ns = get16(q.data() + 8);
    const std::uint16_t ar = get16(q.data() + 10);
    if (qd != 1) {
        // No question and just an OPT: an EDNS probe, which NSD answers with
        // NOERROR and its OPT.
        std::size_t pos = header_size;
        if (qd == 0 && an == 0 && ns == 0 && ar == 1 && parse_opt(q, pos, req) && pos == q.size() &&
            req.edns_version == 0) {
            const std::size_t len = header_size + s.put_opt(header_size, 0, 0);
            return s.finish(len, flag::qr | req.keep, 0, 0, 0, 1);
        }
        req.edns = false;
        // NSD clears even RD when what follows the header reads as a question.
        const std::size_t n = parse_name(q, header_size, s.qname);
        const bool readable = n != 0 && header_size + n + 4 <= q.size();
        return s.header_only(readable ? 0 : req.keep, rcode::formerr);
    }

    const std::size_t n = parse_name(q, header_size, s.qname);
    if (n == 0 || header_size + n + 4 > q.size()) return s.header_only(req.keep, rcode::formerr);
    std::size_t pos = header_size + n;
    req.qtype = get16(q.data() + pos);
    req.qclass = get16(q.data() + pos + 2);
    pos += 4;
    req.question_end = pos;
    if (an != 0) return s.header_only(req.keep, rcode::formerr);
    if (ns != 0 && !(ns == 1 && req.qtype == rrtype::IXFR && parse_ixfr_soa(q, pos, req)))
        return s.header_only(req.keep, rcode::formerr);
    for (std::uint16_t i = 0; i < ar; ++i) {
        // Only an OPT is understood; TSIG and anything else is refused as
        // malformed (there are no keys to check a TSIG with).
        if (!parse_opt(q, pos, req)) return s.header_only(req.keep, rcode::formerr);
    }
    if (pos != q.size()) return s.header_only(req.keep, rcode::formerr);  // trailing bytes
    if (req.edns && req.edns_version > 0)
        return s.question_only(q, req.keep, rcode::noerror, 0, rcode::badvers >> 4);  // RFC 6891 6.1.3

    std::size_t limit = max_message;
    if (ctx.transport == Transport::udp) limit = req.edns ? std::min<std::size_t>(req.payload, s.max_udp) : 512;
    if (limit < 512) limit = 512;

    if (req.qclass == rrclass::CH) {
        // NSD's answer_chaos: the server's identity and version, AA=0, TTL 0.
        const std::string* text = nullptr;
        if (req.qtype == rrtype::TXT || req.qtype == rrtype::ANY) {
            if (is_name(s.qname, "\2id\6server") || is_name(s.qname, "\10hostname\4bind")) text = &zs.hostname;
            if (is_name(s.qname, "\7version\4bind") || is_name(s.qname, "\7version\6server")) text = &zs.version;
        }
        if (!text) return s.question_only(q, req.keep, rcode::refused, ede::not_supported);
        std::memcpy(s.out.get() + header_size, q.data() + header_size, req.question_end - header_size);
        std::uint8_t* p = s.out.get() + req.question_end;
        const std::size_t len = std::min<std::size_t>(text->size(), 255);
        put16(p, 0xC000 | header_size);
        put16(p + 2, rrtype::TXT);
        put16(p + 4, rrclass::CH);
        put32(p + 6, 0);
        put16(p + 10, static_cast<std::uint16_t>(len + 1));
        p[12] = static_cast<std::uint8_t>(len);
        std::memcpy(p + 13, text->data(), len);
        std::size_t end = req.question_end + 13 + len;
        if (req.edns) end += s.put_opt(end, 0, 0);
        return s.finish(end, flag::qr | req.keep, 1, 1, 0, req.edns ? 1 : 0);
    }
    if (req.qclass != rrclass::IN && req.qclass != rrclass::ANY) {
        // NSD: REFUSED without the question.
        std::size_t len = header_size;
        if (req.edns) len += s.put_opt(len, 0, ede::not_supported);
        return s.finish(len, flag::qr | req.keep | rcode::refused, 0, 0, 0, req.edns ? 1 : 0);
    }
    if (req.qtype == rrtype::AXFR || req.qtype == rrtype::IXFR) return s.transfer(zs, q, ctx);

    const std::size_t opt = req.edns ? State::opt_size : 0;
    const std::size_t avail = limit - req.question_end - opt;

    // The fast path: a name we have, a type with a precompiled answer.
    if (s.use_precompiled && req.qclass == rrclass::IN && req.qtype != rrtype::ANY) {
        const std::uint32_t node =
            zs.find(s.qname.bytes.data(), s.qname.len, hash_bytes(s.qname.bytes.data(), s.qname.len));
        if (node != ZoneSet::none) {
            const ZoneSet::Node& nd = zs.nodes[node];
            const ZoneSet::Precompiled* pc = nullptr;
            if (nd.referral) {
                if (!(req.qtype == rrtype::DS && nd.cut == node)) pc = &zs.answers[nd.answers];
            } else {
                for (std::uint32_t i = nd.answers; i < nd.answers + nd.answer_count; ++i)
                    if (zs.answers[i].qtype == req.qtype) pc = &zs.answers[i];
            }
            if (pc) {
                std::uint8_t* o = s.out.get();
                std::memcpy(o + header_size, q.data() + header_size, req.question_end - header_size);
                const Fit f = fit_body({zs.cuts.data() + pc->cuts, pc->cut_count}, pc->body_len, pc->an, pc->ns, pc->ar,
                                       pc->authority_required, pc->incomplete, avail);
                std::memcpy(o + req.question_end, zs.bodies.data() + pc->body, f.len);
                std::size_t end = req.question_end + f.len;
                if (req.edns) end += s.put_opt(end, 0, 0);
                const auto fl = static_cast<std::uint16_t>(flag::qr | req.keep | (pc->aa ? flag::aa : 0) |
                                                           (f.tc ? flag::tc : 0) | pc->rcode);
                return s.finish(end, fl, 1, f.an, f.ns, static_cast<std::uint16_t>(f.ar + (req.edns ? 1 : 0)));
            }
        }
    }

    // Everything else: plan and encode now, as the precompiled answers were.
    plan_answer(zs, s.qname, req.qtype, req.qclass, s.plan);
    if (s.plan.outcome == Outcome::refused) {
        if (s.recursion && req.qclass == rrclass::IN) {
            ForwardQuery& f = s.forward;
            f.id = req.id;
            f.keep = static_cast<std::uint16_t>(req.keep | (flags & 0x0010));  // CD too (RFC 4035 3.2.2)
            f.question.assign(q.begin() + header_size, q.begin() + static_cast<std::ptrdiff_t>(req.question_end));
            f.qname.assign(s.qname.bytes.begin(), s.qname.bytes.begin() + s.qname.len);
            f.qtype = req.qtype;
            f.qclass = req.qclass;
            f.edns = req.edns;
            f.do_bit = req.do_bit;
            f.our_payload = s.max_udp;
            f.limit = limit;
            s.forwarding = true;
            return {};
        }
        return s.question_only(q, req.keep, rcode::refused, ede::not_authoritative);
    }
    std::uint8_t* o = s.out.get();
    std::memcpy(o + header_size, q.data() + header_size, req.question_end - header_size);
    s.compressor.reset();
    s.compressor.insert_all(s.qname, header_size);
    Writer w(o, max_message, req.question_end, s.compressor);
    encode_plan(zs, s.plan, w, s.encoded);
    const Encoded& e = s.encoded;
    const Fit f = fit_body({e.cuts.data(), e.cut_count}, e.body_len, e.an, e.ns, e.ar, s.plan.authority_required,
                           e.incomplete, avail);
    std::size_t end = req.question_end + f.len;
    if (req.edns) end += s.put_opt(end, 0, 0);
    const auto fl = static_cast<std::uint16_t>(flag::qr | req.keep | (s.plan.aa ? flag::aa : 0) |
                                               (f.tc ? flag::tc : 0) | s.plan.rcode);
    return s.finish(end, fl, 1, f.an, f.ns, static_cast<std::uint16_t>(f.ar + (req.edns ? 1 : 0)));
}

}  // namespace mxlab::dns
