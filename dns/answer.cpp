// Answer planning (see answer.hpp): one method per step of NSD's algorithm.
#include "dns/answer.hpp"

namespace mxlab::dns {

namespace {

class Planner {
public:
    Planner(const ZoneSet& zs, Plan& plan, std::uint16_t qtype, std::uint16_t qclass)
        : zs_(zs), plan_(plan), qtype_(qtype), class_any_(qclass == rrclass::ANY) {}

    void run(const Name& qname) {
        const Name* cur = &qname;
        const std::uint8_t* owner = qname.bytes.data();
        Name next;
        for (int chain = 0;; ++chain) {
            plan_.final_name = owner;
            plan_.final_len = cur->len;
            const Step s = lookup(*cur);
            if (s.closest == ZoneSet::none) {
                if (chain == 0) {
                    plan_.outcome = Outcome::refused;
                    plan_.rcode = rcode::refused;
                } else {
                    plan_.outcome = Outcome::left_zones;
                }
                return;
            }
            const ZoneSet::Node& ce = zs_.nodes[s.closest];
            zone_ = ce.zone;
            plan_.zone = zone_;
            // DS at a cut is the parent's data (RFC 4035 3.1.4.1): no referral.
            if (ce.cut != ZoneSet::none && !(qtype_ == rrtype::DS && s.exact && s.closest == ce.cut)) {
                referral(ce.cut, chain);
                return;
            }
            plan_.aa = !class_any_;
            std::uint32_t match = ZoneSet::none;
            if (s.exact)
                match = s.closest;
            else if (ce.wildcard != ZoneSet::none)
                match = ce.wildcard;  // synthesized with the asked name as owner (RFC 4592 3.3.1)
            if (match == ZoneSet::none) {
                negative(Outcome::nxdomain);
                return;
            }
            const std::uint32_t cname = answer_domain(zs_.nodes[match], owner, cur->len);
            if (cname == ZoneSet::none) return;
            if (chain + 1 >= Plan::max_chain) {
                plan_.outcome = Outcome::loop;
                return;
            }
            // Only the first CNAME counts (there is only one; the build checks it).
            const ZoneSet::RRset& c = zs_.rrsets[cname];
            const std::uint8_t* target = zs_.rdata.data() + c.rdata + 2;
            name_from_wire({target, wire_name_length(target)}, next);
            cur = &next;
            owner = target;
        }
    }

private:
    struct Step {
        std::uint32_t closest = ZoneSet::none;  // the node itself when exact, else the closest encloser
        bool exact = false;
    };

    Step lookup(const Name& name) const {
        const std::uint32_t n = zs_.find(name.wire());
        if (n != ZoneSet::none) return {n, true};
        for (std::size_t l = 1; l < name.labels; ++l) {
            const std::uint32_t e = zs_.find(name.suffix(l));
            if (e != ZoneSet::none) return {e, false};
        }
        return {};
    }

    std::span<const std::uint8_t> apex_name() const { return zs_.zone_name(zs_.zones[zone_]); }

    // Returns the CNAME RRset to follow, or none when the plan is complete.
    std::uint32_t answer_domain(const ZoneSet::Node& match, const std::uint8_t* owner, std::uint8_t owner_len) {
        if (qtype_ == rrtype::ANY) {
            answer_any(match, owner, owner_len);
            return ZoneSet::none;
        }
        if (const std::uint32_t r = zs_.find_rrset(match, qtype_); r != ZoneSet::none) {
            add(Section::answer, owner, owner_len, r);
            if (!class_any_ && qtype_ != rrtype::DNSKEY && qtype_ != rrtype::DS) {
                const auto apex = apex_name();
                add(Section::optional_authority, apex.data(), static_cast<std::uint8_t>(apex.size()),
                    zs_.zones[zone_].ns);
            }
            plan_.outcome = Outcome::answer;
            return ZoneSet::none;
        }
        if (const std::uint32_t c = zs_.find_rrset(match, rrtype::CNAME); c != ZoneSet::none) {
            // Already in the answer: a loop; stop with the chain so far (NSD).
            if (!add(Section::answer, owner, owner_len, c)) {
                plan_.outcome = Outcome::loop;
                return ZoneSet::none;
            }
            return c;
        }
        negative(Outcome::nodata);
        return ZoneSet::none;
    }

    // RFC 8482 4.1: one RRset, preferring small popular types, as NSD 4.6 does.
    void answer_any(const ZoneSet::Node& match, const std::uint8_t* owner, std::uint8_t owner_len) {
        std::uint32_t preferred = ZoneSet::none, normal = ZoneSet::none, other = ZoneSet::none;
        for (std::uint32_t i = match.rrsets; i < match.rrsets + match.rrset_count; ++i) {
            switch (zs_.rrsets[i].type) {
                case rrtype::A:
                case rrtype::AAAA:
                case rrtype::SOA:
                case rrtype::MX:
                case rrtype::PTR:
                    preferred = i;
                    break;
                case rrtype::DNSKEY:
                    other = i;
                    break;
                default:
                    normal = i;
            }
            if (preferred != ZoneSet::none) break;
        }
        const std::uint32_t pick = preferred != ZoneSet::none ? preferred : normal != ZoneSet::none ? normal : other;
        if (pick == ZoneSet::none) {
            negative(Outcome::nodata);
            return;
        }
        add(Section::answer, owner, owner_len, pick);
        plan_.outcome = Outcome::answer;
    }

    void negative(Outcome why) {
        plan_.outcome = why;
        if (why == Outcome::nxdomain) plan_.rcode = rcode::nxdomain;
        plan_.authority_required = true;
        if (class_any_) return;
        const auto apex = apex_name();
        add(Section::authority, apex.data(), static_cast<std::uint8_t>(apex.size()), zs_.zones[zone_].soa_negative);
    }

    void referral(std::uint32_t cut, int chain) {
        // After a CNAME the answer is still authoritative (NSD answer_delegation).
        plan_.aa = chain > 0 && !class_any_;
        plan_.outcome = Outcome::referral;
        plan_.authority_required = true;
        plan_.cut = cut;
        const ZoneSet::Node& n = zs_.nodes[cut];
        add(Section::authority, zs_.names.data() + n.name, n.name_len, zs_.find_rrset(n, rrtype::NS));
    }

    // NSD's answer_add_rrset + add_rrset: no RRset twice (the earlier section
    // wins), then the additional data of NS, MX and SRV targets.
    bool add(Section section, const std::uint8_t* owner, std::uint8_t owner_len, std::uint32_t rrset) {
        if (rrset == ZoneSet::none) return false;
        bool added = true;
        bool found = false;
        for (std::size_t i = 0; i < plan_.count; ++i) {
            PlanItem& it = plan_.items[i];
            if (it.rrset == rrset && it.owner_len == owner_len && std::memcmp(it.owner, owner, owner_len) == 0) {
                found = true;
                if (section < it.section)
                    it.section = section;
                else
                    added = false;
                break;
            }
        }
        if (!found) {
            if (plan_.count == Plan::max_items) return false;
            plan_.items[plan_.count++] = {owner, rrset, owner_len, section};
        }
        const ZoneSet::RRset& r = zs_.rrsets[rrset];
        switch (r.type) {
            case rrtype::NS:
                additional(r, 0, true);
                break;
            case rrtype::MX:
                additional(r, 2, false);
                break;
            case rrtype::SRV:
                additional(r, 6, false);
                break;
            default:
                break;
        }
        return added;
    }

    // NSD add_additional_rrsets: A and AAAA of each target that lies in the
    // current zone, synthesized from a wildcard when the target does not exist.
    void additional(const ZoneSet::RRset& r, std::size_t name_at, bool allow_glue) {
        zs_.for_each_rdata(r, [&](std::span<const std::uint8_t> rd) {
            if (rd.size() <= name_at) return;
            const std::uint8_t* target = rd.data() + name_at;
            const std::size_t len = wire_name_length(target);
            std::uint32_t src = zs_.find(target, len, hash_bytes(target, len));
            if (src != ZoneSet::none) {
                const ZoneSet::Node& n = zs_.nodes[src];
                if (n.zone != zone_ || (!allow_glue && n.cut != ZoneSet::none)) return;
            } else {
                Name t;
                name_from_wire({target, len}, t);
                std::uint32_t ce = ZoneSet::none;
                for (std::size_t l = 1; l < t.labels && ce == ZoneSet::none; ++l) ce = zs_.find(t.suffix(l));
                if (ce == ZoneSet::none) return;
                const ZoneSet::Node& n = zs_.nodes[ce];
                if (n.zone != zone_ || (!allow_glue && n.cut != ZoneSet::none) || n.wildcard == ZoneSet::none) return;
                src = n.wildcard;
            }
            const ZoneSet::Node& s = zs_.nodes[src];
            const auto owner_len = static_cast<std::uint8_t>(len);
            if (const std::uint32_t a = zs_.find_rrset(s, rrtype::A); a != ZoneSet::none)
                add(Section::additional_a, target, owner_len, a);
            if (const std::uint32_t aaaa = zs_.find_rrset(s, rrtype::AAAA); aaaa != ZoneSet::none)
                add(Section::additional_aaaa, target, owner_len, aaaa);
        });
    }

    const ZoneSet& zs_;
    Plan& plan_;
    std::uint16_t qtype_;
    bool class_any_;
    std::uint32_t zone_ = ZoneSet::none;
};

}  // namespace

void plan_answer(const ZoneSet& zones, const Name& qname, std::uint16_t qtype, std::uint16_t qclass, Plan& plan) {
    plan.count = 0;
    plan.rcode = rcode::noerror;
    plan.aa = false;
    plan.authority_required = false;
    plan.outcome = Outcome::refused;
    plan.zone = ZoneSet::none;
    plan.cut = ZoneSet::none;
    Planner(zones, plan, qtype, qclass).run(qname);
}

}  // namespace mxlab::dns
