// Recursion for the lab's PCs: the allow decision, upstream replies made cacheable, and replies to the client.
#include "dns/forward.hpp"

#include <algorithm>

#include "dns/wire.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

namespace {

constexpr std::uint32_t kMaxTtl = 0x7FFFFFFF;  // RFC 2181 8: larger is 0

// The IPv4 address inside an IPv4-mapped IPv6 one (a dual-stack socket's view of an IPv4 client).
config::IpAddr unmapped(const config::IpAddr& a) {
    static constexpr std::uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!a.v6 || !std::equal(prefix, prefix + 12, a.bytes.begin())) return a;
    config::IpAddr v4;
    std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
    return v4;
}

void put_opt(std::vector<std::uint8_t>& out, const ForwardQuery& q) {
    const std::size_t at = out.size();
    out.resize(at + 11);
    std::uint8_t* p = out.data() + at;
    p[0] = 0;  // root owner
    put16(p + 1, rrtype::OPT);
    put16(p + 3, q.our_payload);
    put32(p + 5, q.do_bit ? 0x8000 : 0);  // RFC 3225: DO is copied; extended rcode and version 0
    put16(p + 9, 0);
}

void put_header(std::vector<std::uint8_t>& out, const ForwardQuery& q, std::uint16_t flags, std::uint16_t an,
                std::uint16_t ns, std::uint16_t ar) {
    put16(out.data(), q.id);
    put16(out.data() + 2, flags);
    put16(out.data() + 4, 1);
    put16(out.data() + 6, an);
    put16(out.data() + 8, ns);
    put16(out.data() + 10, static_cast<std::uint16_t>(ar + (q.edns ? 1 : 0)));
}

}  // namespace

bool ForwardQuery::rd() const { return (keep & flag::rd) != 0; }

std::string ForwardQuery::key() const {
    std::string k(qname.begin(), qname.end());
    k.push_back(static_cast<char>(qtype >> 8));
    k.push_back(static_cast<char>(qtype));
    k.push_back(static_cast<char>(qclass >> 8));
    k.push_back(static_cast<char>(qclass));
    return k;
}

bool recursion_allowed(const ZoneSet& zones, const config::IpAddr& client) {
    if (zones.recursion.empty()) return false;
    const config::IpAddr a = unmapped(client);
    if (std::find(zones.upstreams.begin(), zones.upstreams.end(), a) != zones.upstreams.end()) return false;
    return std::any_of(zones.recursion.begin(), zones.recursion.end(),
                       [&](const config::Cidr& c) { return c.contains(a); });
}

std::optional<StoredReply> store_reply(std::span<const std::uint8_t> m, const ForwardQuery& q,
                                       const CacheLimits& limits) {
    if (m.size() < header_size) return std::nullopt;
    StoredReply r;
    r.rcode = static_cast<std::uint8_t>(get16(m.data() + 2) & 0xF);
    if (r.rcode != rcode::noerror && r.rcode != rcode::nxdomain) return std::nullopt;
    if (get16(m.data() + 4) != 1) return std::nullopt;
    const std::uint16_t counts[3] = {get16(m.data() + 6), get16(m.data() + 8), get16(m.data() + 10)};

    std::size_t pos = skip_name(m, header_size);
    if (pos == 0 || pos + 4 > m.size()) return std::nullopt;
    pos += 4;
    r.question_end = pos;
    if (r.question_end - header_size != q.question.size()) return std::nullopt;  // not the same question

    std::uint32_t min_answer = kMaxTtl;
    std::optional<std::uint32_t> negative;  // min(SOA TTL, SOA MINIMUM)
    std::size_t end = pos;
    std::uint16_t kept[3] = {0, 0, 0};
    for (int section = 0; section < 3; ++section) {
        if (section == 2) r.additional_at = pos;
        for (std::uint16_t i = 0; i < counts[section]; ++i) {
            const std::size_t start = pos;
            pos = skip_name(m, pos);
            if (pos == 0 || pos + 10 > m.size()) return std::nullopt;
            const std::uint16_t type = get16(m.data() + pos);
            const std::uint32_t ttl_raw = get32(m.data() + pos + 4);
            const std::uint32_t ttl = ttl_raw > kMaxTtl ? 0 : ttl_raw;
            const std::size_t rd = pos + 10;
            const std::size_t rd_end = rd + get16(m.data() + pos + 8);
            if (rd_end > m.size()) return std::nullopt;
            if (type == rrtype::OPT) {
                // The upstream's EDNS is between it and us; the client gets ours.
                // Whatever follows it (a TSIG) goes too; pointers only point back.
                if (section != 2) return std::nullopt;
                pos = start;
                break;
            }
            r.ttl_at.push_back(static_cast<std::uint32_t>(pos + 4));
            if (section < 2) min_answer = std::min(min_answer, ttl);
            if (section == 1 && type == rrtype::SOA && rd_end - rd >= 22) {
                const std::uint32_t minimum = get32(m.data() + rd_end - 4);
                negative = std::min({negative.value_or(kMaxTtl), ttl, minimum > kMaxTtl ? 0 : minimum});
            }
            pos = rd_end;
            ++kept[section];
        }
        end = pos;
    }
    r.an = kept[0];
    r.ns = kept[1];
    r.ar = kept[2];

    const bool positive = r.rcode == rcode::noerror && r.an > 0;
    std::uint32_t cap = limits.max_ttl;
    if (positive) {
        r.lifetime = std::min(min_answer, limits.max_ttl);
    } else {
        cap = limits.max_negative_ttl;
        // RFC 2308 5: a negative answer without a SOA is not cached.
        r.lifetime = negative ? std::min(*negative, cap) : 0;
    }
    r.message.assign(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(end));
    put16(r.message.data(), 0);
    put16(r.message.data() + 6, r.an);
    put16(r.message.data() + 8, r.ns);
    put16(r.message.data() + 10, r.ar);
    for (std::uint32_t at : r.ttl_at) {
        const std::uint32_t raw = get32(r.message.data() + at);
        put32(r.message.data() + at, std::min(raw > kMaxTtl ? 0 : raw, cap));
    }
    return r;
}

std::vector<std::uint8_t> client_reply(const StoredReply& r, std::uint32_t elapsed, const ForwardQuery& q) {
    if (r.question_end - header_size != q.question.size()) return error_reply(q, rcode::servfail);
    std::vector<std::uint8_t> out = r.message;
    // The client's question, in its case: names compressed against it read back the same way.
    std::copy(q.question.begin(), q.question.end(), out.begin() + header_size);
    for (std::uint32_t at : r.ttl_at) {
        const std::uint32_t ttl = get32(out.data() + at);
        put32(out.data() + at, ttl > elapsed ? ttl - elapsed : 0);
    }
    std::uint16_t an = r.an, ns = r.ns, ar = r.ar;
    std::uint16_t flags = static_cast<std::uint16_t>(flag::qr | q.keep | flag::ra | r.rcode);
    const std::size_t opt = q.edns ? 11 : 0;
    if (out.size() + opt > q.limit) {
        if (r.additional_at + opt <= q.limit) {
            // RFC 2181 9: only additional data left out, no TC.
            out.resize(r.additional_at);
            ar = 0;
        } else {
            out.resize(r.question_end);
            an = ns = ar = 0;
            flags |= flag::tc;
        }
    }
    put_header(out, q, flags, an, ns, ar);
    if (q.edns) put_opt(out, q);
    return out;
}

std::vector<std::uint8_t> error_reply(const ForwardQuery& q, std::uint8_t rc) {
    std::vector<std::uint8_t> out(header_size + q.question.size());
    std::copy(q.question.begin(), q.question.end(), out.begin() + header_size);
    put_header(out, q, static_cast<std::uint16_t>(flag::qr | q.keep | flag::ra | rc), 0, 0, 0);
    if (q.edns) put_opt(out, q);
    return out;
}

}  // namespace mxlab::dns
