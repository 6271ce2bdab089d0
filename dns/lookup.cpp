// Lookups in our own zones for the mail side's resolver (MX, A/AAAA, CNAME following) without the network.
#include <algorithm>
#include <memory>

#include "dns/answer.hpp"
#include "dns/rr_text.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

std::string_view to_string(LookupStatus s) {
    switch (s) {
        case LookupStatus::ok:
            return "ok";
        case LookupStatus::nodata:
            return "nodata";
        case LookupStatus::nxdomain:
            return "nxdomain";
        case LookupStatus::delegated:
            return "delegated";
        case LookupStatus::not_ours:
            return "not_ours";
        case LookupStatus::cname_loop:
            return "cname_loop";
    }
    return "?";
}

namespace {

void append_records(const ZoneSet& zs, const PlanItem& item, std::vector<LookupRecord>& out) {
    const ZoneSet::RRset& r = zs.rrsets[item.rrset];
    const std::string owner = name_to_host({item.owner, item.owner_len});
    zs.for_each_rdata(r, [&](std::span<const std::uint8_t> rd) {
        LookupRecord rec;
        rec.owner = owner;
        rec.type = r.type;
        rec.ttl = r.ttl;
        rec.rdata = rdata_to_text(r.type, rd);
        switch (r.type) {
            case rrtype::A:
            case rrtype::AAAA: {
                config::IpAddr a;
                a.v6 = r.type == rrtype::AAAA;
                std::copy(rd.begin(), rd.end(), a.bytes.begin());
                rec.address = a;
                break;
            }
            case rrtype::MX:
                rec.preference = get16(rd.data());
                rec.target = name_to_host(rd.subspan(2));
                break;
            case rrtype::SRV:
                rec.preference = get16(rd.data());
                rec.port = get16(rd.data() + 4);
                rec.target = name_to_host(rd.subspan(6));
                break;
            case rrtype::CNAME:
            case rrtype::NS:
            case rrtype::PTR:
                rec.target = name_to_host(rd);
                break;
            default:
                break;
        }
        out.push_back(std::move(rec));
    });
}

}  // namespace

LookupResult ZoneSet::lookup(std::string_view name, std::uint16_t type) const {
    LookupResult res;
    const auto wire = name_from_text(name);
    if (!wire) {
        res.canonical = std::string(name);
        return res;  // not a name we could hold: not ours
    }
    Name qname;
    name_from_wire(*wire, qname);
    auto plan = std::make_unique<Plan>();
    plan_answer(*this, qname, type, rrclass::IN, *plan);
    res.canonical = name_to_host({plan->final_name, plan->final_len});
    for (std::size_t i = 0; i < plan->count; ++i) {
        const PlanItem& item = plan->items[i];
        const std::uint16_t t = rrsets[item.rrset].type;
        if (item.section == Section::answer) {
            if (t == type)
                append_records(*this, item, res.records);
            else if (t == rrtype::CNAME)
                append_records(*this, item, res.cnames);
        } else if (plan->outcome == Outcome::referral && item.section == Section::authority && t == rrtype::NS) {
            append_records(*this, item, res.referral);
        }
    }
    switch (plan->outcome) {
        case Outcome::answer:
            res.status = LookupStatus::ok;
            break;
        case Outcome::nodata:
            res.status = LookupStatus::nodata;
            break;
        case Outcome::nxdomain:
            res.status = LookupStatus::nxdomain;
            break;
        case Outcome::referral:
            res.status = LookupStatus::delegated;
            break;
        case Outcome::refused:
        case Outcome::left_zones:
            res.status = LookupStatus::not_ours;
            break;
        case Outcome::loop:
            res.status = LookupStatus::cname_loop;
            break;
    }
    if ((res.status == LookupStatus::nodata || res.status == LookupStatus::nxdomain) && plan->zone != none &&
        zones[plan->zone].soa_negative != none)
        res.negative_ttl = rrsets[zones[plan->zone].soa_negative].ttl;
    if (type == rrtype::MX)
        std::stable_sort(res.records.begin(), res.records.end(),
                         [](const LookupRecord& a, const LookupRecord& b) { return a.preference < b.preference; });
    return res;
}

LookupResult ZoneSet::lookup_addresses(std::string_view host) const {
    LookupResult v4 = lookup(host, rrtype::A);
    if (v4.status != LookupStatus::ok && v4.status != LookupStatus::nodata) return v4;
    LookupResult v6 = lookup(host, rrtype::AAAA);
    if (v6.status != LookupStatus::ok && v6.status != LookupStatus::nodata) return v4;
    v4.records.insert(v4.records.end(), std::make_move_iterator(v6.records.begin()),
                      std::make_move_iterator(v6.records.end()));
    if (v6.status == LookupStatus::ok) v4.status = LookupStatus::ok;
    return v4;
}

bool ZoneSet::serves(std::string_view name) const {
    const auto wire = name_from_text(name);
    if (!wire) return false;
    Name n;
    name_from_wire(*wire, n);
    for (std::size_t l = 0; l < n.labels; ++l)
        if (find(n.suffix(l)) != none) return true;
    return false;
}

std::vector<ZoneInfo> ZoneSet::zone_infos() const {
    std::vector<ZoneInfo> out;
    for (const Zone& z : zones) out.push_back({z.name, z.serial, z.records});
    return out;
}

}  // namespace mxlab::dns
