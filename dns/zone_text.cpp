// Zone-file text of a served zone (`mxlab zone`), and the RR text helpers built on ldns.
#include <vector>

#include "core/ldns.hpp"
#include "dns/ldns_ptr.hpp"
#include "dns/rr_text.hpp"
#include "dns/wire.hpp"
#include "dns/zones.hpp"

namespace mxlab::dns {

namespace {

LdnsRr to_ldns(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl,
               std::span<const std::uint8_t> rdata) {
    std::vector<std::uint8_t> wire(owner.begin(), owner.end());
    wire.resize(owner.size() + 10);
    std::uint8_t* p = wire.data() + owner.size();
    put16(p, type);
    put16(p + 2, rrclass::IN);
    put32(p + 4, ttl);
    put16(p + 8, static_cast<std::uint16_t>(rdata.size()));
    wire.insert(wire.end(), rdata.begin(), rdata.end());
    ldns_rr* rr = nullptr;
    std::size_t pos = 0;
    if (ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) return nullptr;
    return LdnsRr(rr);
}

}  // namespace

std::string rr_to_text(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl,
                       std::span<const std::uint8_t> rdata) {
    const LdnsRr rr = to_ldns(owner, type, ttl, rdata);
    if (!rr) return {};
    LdnsString s(ldns_rr2str(rr.get()));
    if (!s) return {};
    std::string text(s.get());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string rdata_to_text(std::uint16_t type, std::span<const std::uint8_t> rdata) {
    static constexpr std::uint8_t root[] = {0};
    const LdnsRr rr = to_ldns(root, type, 0, rdata);
    if (!rr) return {};
    std::string text;
    for (std::size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        LdnsString s(ldns_rdf2str(ldns_rr_rdf(rr.get(), i)));
        if (!s) continue;
        if (!text.empty()) text += ' ';
        text += s.get();
    }
    return text;
}

std::string zone_text(const ZoneSet& zs, std::string_view domain) {
    const auto wire = name_from_text(domain);
    if (!wire) return {};
    for (const ZoneSet::Zone& Z : zs.zones) {
        const auto apex = zs.zone_name(Z);
        if (!std::equal(apex.begin(), apex.end(), wire->begin(), wire->end())) continue;
        std::string out = "; zone " + Z.name + ", serial " + std::to_string(Z.serial) + ", " +
                          std::to_string(Z.records) + " records, served by " + zs.version + "\n";
        out += "$ORIGIN " + name_to_text(apex) + "\n";
        if (Z.soa != ZoneSet::none) out += "$TTL " + std::to_string(zs.rrsets[Z.soa].ttl) + "\n";
        // The RRsets are already in order: apex first, SOA first there.
        for (std::uint32_t i = Z.rrsets_begin; i < Z.rrsets_end; ++i) {
            const ZoneSet::RRset& r = zs.rrsets[i];
            zs.for_each_rdata(r, [&](std::span<const std::uint8_t> rd) {
                out += rr_to_text(zs.owner(r), r.type, r.ttl, rd);
                out += '\n';
            });
        }
        return out;
    }
    return {};
}

}  // namespace mxlab::dns
