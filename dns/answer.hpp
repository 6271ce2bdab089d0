// Answer planning: which RRsets go in which section for a question (NSD's query.c/answer.c algorithm).
//
// The planner follows NSD 4.6's answer_lookup_zone / answer_authoritative /
// answer_domain step by step, so that the replies match NSD's:
//   - the closest zone (deepest apex) above the name, else REFUSED;
//   - a delegation (NS below the apex) at or above the closest encloser:
//     referral, AA=0, the cut's NS in authority, glue in additional;
//   - exact name, else the "*" child of the closest encloser (RFC 4592),
//     else NXDOMAIN with the SOA (TTL min(TTL, MINIMUM), RFC 2308);
//   - the asked RRset plus the apex NS in authority (not for DS, DNSKEY and
//     ANY); or a CNAME, followed across our zones (at most max_chain); or
//     NODATA with the SOA;
//   - ANY gets one RRset (RFC 8482; NSD prefers A, AAAA, SOA, MX, PTR);
//   - NS, MX and SRV targets in the same zone get their A then AAAA in the
//     additional section (NS may use glue below a cut, MX and SRV not), and
//     an RRset is never in two sections (the earlier section wins).
// It is used both at load time (precompiled answers) and per query.
#pragma once

#include <array>
#include <cstdint>

#include "dns/wire.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

// In encoding order; NSD's rr_section_type.
enum class Section : std::uint8_t { answer, authority, optional_authority, additional_a, additional_aaaa };

struct PlanItem {
    const std::uint8_t* owner = nullptr;  // lower-case wire name, stable while the plan is used
    std::uint32_t rrset = 0;
    std::uint8_t owner_len = 0;
    Section section = Section::answer;
};

enum class Outcome : std::uint8_t {
    answer,  // the asked RRset is in the answer section
    nodata,
    nxdomain,
    referral,
    refused,     // the question is not in our zones
    left_zones,  // a CNAME points out of our zones: the chain is the answer
    loop,        // the CNAME chain loops or is longer than max_chain
};

struct Plan {
    static constexpr std::size_t max_items = 256;
    static constexpr int max_chain = 8;

    std::array<PlanItem, max_items> items;
    std::size_t count = 0;
    std::uint8_t rcode = 0;
    bool aa = false;
    bool authority_required = false;  // negative answers and referrals
    Outcome outcome = Outcome::refused;
    std::uint32_t zone = ZoneSet::none;        // where the answer came from (after CNAMEs)
    std::uint32_t cut = ZoneSet::none;         // referral: the delegation node
    const std::uint8_t* final_name = nullptr;  // the name the outcome is about
    std::uint8_t final_len = 0;
};

// Plans the reply to (qname, qtype) for class IN or ANY (NSD clears AA and
// leaves out SOA and NS for class ANY).
void plan_answer(const ZoneSet& zones, const Name& qname, std::uint16_t qtype, std::uint16_t qclass, Plan& plan);

}  // namespace mxlab::dns
