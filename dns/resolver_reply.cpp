// The resolver's pure half: query bytes, reply parsing (ldns) and the meaning of one server's reply.
#include "dns/resolver_reply.hpp"

#include <algorithm>

#include "core/ldns.hpp"
#include "dns/ldns_ptr.hpp"
#include "dns/wire.hpp"

namespace mxlab::dns::client {

namespace {

WireName lower_name(const ldns_rdf* rdf) {
    WireName out;
    if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return out;
    const std::uint8_t* p = ldns_rdf_data(rdf);
    // Length bytes are at most 63, below 'A': lowering every byte only touches letters.
    out.reserve(ldns_rdf_size(rdf));
    for (std::size_t i = 0; i < ldns_rdf_size(rdf); ++i) out.push_back(ascii_lower(p[i]));
    return out;
}

const ldns_rdf* field(const ldns_rr* rr, std::size_t i) { return i < ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, i) : nullptr; }

// The parts of one RR the resolver reads; nullopt for other classes and for
// records of the types we read whose RDATA is missing (an empty RDATA parses).
std::optional<Record> to_record(const ldns_rr* rr) {
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) return std::nullopt;
    Record r;
    r.owner = lower_name(ldns_rr_owner(rr));
    if (r.owner.empty()) return std::nullopt;
    r.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
    r.ttl = ldns_rr_ttl(rr);
    switch (r.type) {
    case rrtype::A:
    case rrtype::AAAA: {
        const ldns_rdf* f = field(rr, 0);
        const std::size_t want = r.type == rrtype::A ? 4 : 16;
        if (!f || ldns_rdf_size(f) != want) return std::nullopt;
        config::IpAddr a;
        a.v6 = r.type == rrtype::AAAA;
        std::copy_n(ldns_rdf_data(f), want, a.bytes.begin());
        r.address = a;
        break;
    }
    case rrtype::MX: {
        const ldns_rdf* pref = field(rr, 0);
        if (!pref || ldns_rdf_size(pref) != 2) return std::nullopt;
        r.preference = get16(ldns_rdf_data(pref));
        r.target = lower_name(field(rr, 1));
        if (r.target.empty()) return std::nullopt;
        break;
    }
    case rrtype::CNAME:
    case rrtype::NS:
        r.target = lower_name(field(rr, 0));
        if (r.target.empty()) return std::nullopt;
        break;
    case rrtype::SOA: {
        const ldns_rdf* min = field(rr, 6);
        if (!min || ldns_rdf_size(min) != 4) return std::nullopt;
        r.soa_minimum = get32(ldns_rdf_data(min));
        break;
    }
    default: break;
    }
    return r;
}

std::vector<Record> to_records(const ldns_rr_list* list) {
    std::vector<Record> out;
    if (!list) return out;
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i)
        if (auto r = to_record(ldns_rr_list_rr(list, i))) out.push_back(std::move(*r));
    return out;
}

bool in_zone(std::span<const std::uint8_t> name, std::span<const std::uint8_t> zone) {
    return !name.empty() && !zone.empty() && name_in_zone(name, zone);
}

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

std::vector<std::uint8_t> make_query(const Question& q, std::uint16_t payload) {
    // Header, question, then the OPT (RFC 6891 6.1.2): root owner, type 41,
    // CLASS = our payload size, TTL 0 (version 0, DO=0), no options.
    std::vector<std::uint8_t> m(header_size + q.name.size() + 4 + 11, 0);
    std::uint8_t* p = m.data();
    put16(p, q.id);
    put16(p + 2, flag::rd);
    put16(p + 4, 1);   // QDCOUNT
    put16(p + 10, 1);  // ARCOUNT: the OPT
    p = std::copy(q.name.begin(), q.name.end(), p + header_size);
    put16(p, q.type);
    put16(p + 2, rrclass::IN);
    put16(p + 4 + 1, rrtype::OPT);
    put16(p + 4 + 3, payload);
    return m;
}

ParsedReply parse_reply(std::span<const std::uint8_t> bytes, const Question& q) {
    ParsedReply out;
    if (bytes.size() < header_size) return out;  // unrelated: not even an ID to match
    const std::uint16_t flags = get16(bytes.data() + 2);
    // RFC 5452 9.1: only a reply with our ID (and, below, our question) is an answer.
    if (get16(bytes.data()) != q.id || !(flags & flag::qr) || ((flags >> 11) & 0xF) != opcode::query) return out;

    ldns_pkt* raw = nullptr;
    const ldns_status st = ldns_wire2pkt(&raw, bytes.data(), bytes.size());
    if (st != LDNS_STATUS_OK) {
        out.status = ParsedReply::Status::malformed;
        out.error = std::string("malformed reply (") + ldns_get_errorstr_by_id(st) + ")";
        return out;
    }
    LdnsPkt pkt(raw);
    Reply& r = out.reply;
    r.id = ldns_pkt_id(raw);
    r.aa = ldns_pkt_aa(raw);
    r.tc = ldns_pkt_tc(raw);
    r.ra = ldns_pkt_ra(raw);
    r.rcode = static_cast<std::uint16_t>(ldns_pkt_get_rcode(raw));
    if (ldns_pkt_edns(raw)) r.rcode |= static_cast<std::uint16_t>(ldns_pkt_edns_extended_rcode(raw) << 4);

    const ldns_rr_list* qs = ldns_pkt_question(raw);
    const std::size_t qd = qs ? ldns_rr_list_rr_count(qs) : 0;
    if (qd == 0) {
        // FORMERR, NOTIMP and friends may come without the question (NSD
        // sends them so); with our ID from the server's address it is its
        // answer. A NOERROR without a question answers nothing.
        if (r.rcode != rcode::noerror) {
            out.status = ParsedReply::Status::ok;
        } else {
            out.status = ParsedReply::Status::malformed;
            out.error = "reply without a question";
        }
        return out;
    }
    if (qd != 1) return out;
    const ldns_rr* qrr = ldns_rr_list_rr(qs, 0);
    if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN || static_cast<std::uint16_t>(ldns_rr_get_type(qrr)) != q.type ||
        !same(lower_name(ldns_rr_owner(qrr)), q.name))
        return out;  // another question: not ours (RFC 5452 9.1)

    r.answer = to_records(ldns_pkt_answer(raw));
    r.authority = to_records(ldns_pkt_authority(raw));
    r.additional = to_records(ldns_pkt_additional(raw));
    out.status = ParsedReply::Status::ok;
    return out;
}

Verdict judge(const Reply& r, const Question& q, std::span<const std::uint8_t> zone) {
    Verdict v;
    v.canonical = q.name;
    if (r.tc) {
        v.kind = Verdict::Kind::truncated;
        return v;
    }
    if (r.rcode != rcode::noerror && r.rcode != rcode::nxdomain) {
        v.why = rcode_name(r.rcode);
        return v;  // failed
    }

    // Follow the chain through the answer section (RFC 1034 4.3.2 step 3a,
    // RFC 2181 10.1): from the question's name, each CNAME leads to the next.
    WireName cur = q.name;
    for (int hops = 0;; ++hops) {
        for (const Record& rec : r.answer)
            if (rec.type == q.type && same(rec.owner, cur)) v.records.push_back(rec);
        if (!v.records.empty() || q.type == rrtype::CNAME) break;
        auto c = std::find_if(r.answer.begin(), r.answer.end(),
                              [&](const Record& rec) { return rec.type == rrtype::CNAME && same(rec.owner, cur); });
        if (c == r.answer.end()) break;
        if (hops >= max_cnames_in_reply) {
            v.records.clear();
            v.why = "CNAME chain longer than " + std::to_string(max_cnames_in_reply) + " in one reply";
            return v;  // failed
        }
        v.cnames.push_back(*c);
        cur = c->target;
    }
    v.canonical = cur;

    // The NS RRset in the authority section names the zone the server speaks
    // for; it counts only when it encloses the name and lies inside what we
    // trust this server for (RFC 2181 5.4.1: data outside that is not believed).
    const Record* ns = nullptr;
    for (const Record& rec : r.authority)
        if (rec.type == rrtype::NS && in_zone(cur, rec.owner) && in_zone(rec.owner, zone) &&
            (!ns || rec.owner.size() > ns->owner.size()))
            ns = &rec;

    if (!v.records.empty()) {
        v.kind = Verdict::Kind::answer;
        // MX targets' addresses from the additional section, when they lie in
        // the zone this reply is authoritative for (its NS RRset) or else in
        // what we asked this server about.
        const std::span<const std::uint8_t> bailiwick = ns ? std::span<const std::uint8_t>(ns->owner) : zone;
        for (const Record& rec : r.additional)
            if (rec.address && in_zone(rec.owner, bailiwick)) v.addresses.push_back(rec);
        return v;
    }

    const Record* soa = nullptr;
    for (const Record& rec : r.authority)
        if (rec.type == rrtype::SOA && in_zone(cur, rec.owner)) soa = &rec;
    if (soa) v.negative_ttl = std::min(soa->ttl, soa->soa_minimum);  // RFC 2308 section 5

    if (r.rcode == rcode::nxdomain) {
        v.kind = Verdict::Kind::nxdomain;  // about the end of the chain (RFC 6604 section 2)
        return v;
    }
    if (!v.cnames.empty()) {
        // NODATA for the chain's end when the reply carries that zone's SOA;
        // otherwise the server did not know more (another zone): ask again.
        v.kind = soa ? Verdict::Kind::nodata : Verdict::Kind::cname;
        return v;
    }
    const bool has_ns =
        std::any_of(r.authority.begin(), r.authority.end(), [](const Record& rec) { return rec.type == rrtype::NS; });
    if (!soa && has_ns && !r.aa) {
        // A referral (RFC 2308 2.2.1: NS and no SOA). Only one down, towards
        // the name, strictly below the zone we asked about is progress;
        // anything else (upwards, sideways, to the same zone) is lame.
        if (!ns || same(ns->owner, zone)) {
            const Record* any = nullptr;
            for (const Record& rec : r.authority)
                if (rec.type == rrtype::NS) any = &rec;
            v.why = "lame referral to " + name_to_text(any->owner);
            return v;  // failed
        }
        v.kind = Verdict::Kind::referral;
        v.cut = ns->owner;
        for (const Record& rec : r.authority)
            if (rec.type == rrtype::NS && same(rec.owner, v.cut) &&
                std::none_of(v.ns.begin(), v.ns.end(), [&](const WireName& n) { return same(n, rec.target); }))
                v.ns.push_back(rec.target);
        for (const Record& rec : r.additional)
            if (rec.address && in_zone(rec.owner, zone) &&
                std::any_of(v.ns.begin(), v.ns.end(), [&](const WireName& n) { return same(n, rec.owner); }))
                v.glue.push_back(rec);
        return v;
    }
    v.kind = Verdict::Kind::nodata;  // RFC 2308 2.2: SOA, or nothing at all, or AA=1
    return v;
}

std::string rcode_name(std::uint16_t rc) {
    switch (rc) {
    case 0: return "NOERROR";
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    case 6: return "YXDOMAIN";
    case 7: return "YXRRSET";
    case 8: return "NXRRSET";
    case 9: return "NOTAUTH";
    case 10: return "NOTZONE";
    case 16: return "BADVERS";
    default: return "RCODE" + std::to_string(rc);
    }
}

}  // namespace mxlab::dns::client
