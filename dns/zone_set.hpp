// The compiled, immutable answer table for all served zones, and lookups on it for the mail side.
//
// Built once per config by build_zones() (dns/zones.hpp) and then only read,
// by any number of threads without locks; reload builds a new one and swaps
// the shared_ptr. Layout (NSD plans answers at load time; so do we):
//
//   names      one arena of lower-case wire names (node names, RRset owners)
//   rdata      one arena of RDATA: per RR a 2-byte length and the bytes, names
//              inside uncompressed and lower-case
//   rrsets     per zone a contiguous range in canonical owner order (the AXFR
//              and zone-file order), apex first with its SOA first; a node's
//              RRsets are contiguous, in the order they were written
//   nodes      one per name that exists in the deepest zone containing it:
//              owners and empty non-terminals (RFC 4592 2.2.2), with parent,
//              "*" child, enclosing delegation and its precompiled answers
//   index      open-addressing hash table: lower-case wire name -> node
//   answers    per (node, qtype present at the node) and per node below a
//              delegation: the reply body after the question (answer,
//              authority, additional sections, compressed, with pointers into
//              the question at offset 12), section counts, and the RRset
//              boundaries where a reply can be cut when it is too big
//
// A query whose name is a node and whose type has a precompiled answer costs a
// hash lookup and two memcpy; everything else (wildcards, CNAME chains,
// NXDOMAIN, NODATA, ANY) is planned and encoded per query by the same code that
// made the precompiled answers (dns/answer.cpp, dns/packet.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/wire.hpp"

namespace mxlab::dns {

// What the mail side's resolver gets from our own zones.
enum class LookupStatus {
    ok,          // `records` holds the RRset (possibly after `cnames`)
    nodata,      // the name exists, not with this type
    nxdomain,    // the name does not exist
    delegated,   // `canonical` lies below a delegation in our zone: ask its name servers (`referral`)
    not_ours,    // `canonical` is in none of our zones: ask the network (after `cnames`, if any)
    cname_loop,  // the CNAME chain loops or is too long
};
std::string_view to_string(LookupStatus);

struct LookupRecord {
    std::string owner;  // lower case, no trailing dot
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::string rdata;  // presentation format, as in a zone file
    // Parsed forms of the types the mail side needs:
    std::optional<config::IpAddr> address;  // A, AAAA
    std::uint16_t preference = 0;           // MX preference, SRV priority
    std::uint16_t port = 0;                 // SRV
    std::string target;  // MX exchange, CNAME/NS/PTR/SRV target: lower case, no trailing dot, "" for the root (null MX)
};

struct LookupResult {
    LookupStatus status = LookupStatus::not_ours;
    std::string canonical;               // the name the answer is about, after CNAMEs
    std::vector<LookupRecord> cnames;    // the CNAME chain, in order
    std::vector<LookupRecord> records;   // ok: the RRset of the asked type
    std::vector<LookupRecord> referral;  // delegated: the NS RRset of the cut
    std::uint32_t negative_ttl = 0;      // nodata/nxdomain: min(SOA TTL, SOA MINIMUM) (RFC 2308)
};

struct ZoneInfo {
    std::string name;  // "sina.com"
    std::uint32_t serial = 0;
    std::size_t records = 0;
};

class ZoneSet {
public:
    static constexpr std::uint32_t none = 0xFFFFFFFFu;

    // Mail-side lookups. `name` is a host or domain ("sina.com", trailing dot
    // optional, any case). Follows CNAMEs across all served zones.
    LookupResult lookup(std::string_view name, std::uint16_t type) const;
    // MX of a domain, sorted by preference (status ok with the RRset, or why not).
    LookupResult lookup_mx(std::string_view domain) const { return lookup(domain, rrtype::MX); }
    // A and AAAA of a host: records of both types (status ok when either exists).
    LookupResult lookup_addresses(std::string_view host) const;
    // True when the name lies in one of our zones (at or below an apex).
    bool serves(std::string_view name) const;

    std::vector<ZoneInfo> zone_infos() const;

    // ---- The compiled table; read by the responder and the answer planner. ----

    struct Zone {
        std::string name;            // "sina.com", no trailing dot
        std::uint32_t apex = none;   // node
        std::uint32_t name_off = 0;  // apex wire name in `names`
        std::uint8_t name_len = 0;
        std::uint32_t rrsets_begin = 0;  // this zone's RRsets: [begin, end), canonical order
        std::uint32_t rrsets_end = 0;
        std::uint32_t soa = none;  // RRset indices
        std::uint32_t ns = none;
        std::uint32_t soa_negative = none;  // the SOA with TTL min(TTL, MINIMUM), for NXDOMAIN/NODATA
        std::uint32_t serial = 0;
        std::uint64_t content_hash = 0;
        std::size_t records = 0;
    };

    struct RRset {
        std::uint32_t owner = 0;  // offset of the owner name in `names`
        std::uint32_t rdata = 0;  // offset of the first RR in `rdata`
        std::uint32_t ttl = 0;
        std::uint16_t type = 0;
        std::uint16_t count = 0;  // RRs
        std::uint8_t owner_len = 0;
    };

    struct Node {
        std::uint32_t name = 0;  // offset in `names`
        std::uint32_t parent = none;
        std::uint32_t wildcard = none;  // the "*" child node, if it exists
        std::uint32_t cut = none;       // the delegation (NS below the apex) at or above this node, in its zone
        std::uint32_t rrsets = 0;       // first RRset; rrset_count of them, in written order
        std::uint32_t answers = 0;      // first precompiled answer; answer_count of them
        std::uint16_t zone = 0;
        std::uint16_t rrset_count = 0;
        std::uint8_t name_len = 0;
        std::uint8_t answer_count = 0;
        bool referral = false;  // answers[0] is the referral, for every qtype (but DS at the cut)
    };

    // Boundary after a whole RRset in a precompiled body: where it can be cut.
    struct Cut {
        std::uint16_t end = 0;  // body bytes up to here
        std::uint16_t an = 0, ns = 0, ar = 0;
    };

    struct Precompiled {
        std::uint32_t body = 0;  // offset in `bodies`
        std::uint32_t cuts = 0;  // offset in `cuts` (cut_count of them; none when it always fits in 512)
        std::uint16_t qtype = 0;
        std::uint16_t body_len = 0;
        std::uint16_t an = 0, ns = 0, ar = 0;
        std::uint16_t cut_count = 0;
        std::uint8_t rcode = 0;
        bool aa = false;
        bool authority_required = false;  // negative answers and referrals: no authority means TC
        bool incomplete = false;          // the required part did not fit even 64 KB: always TC
    };

    std::vector<Zone> zones;
    std::vector<Node> nodes;
    std::vector<RRset> rrsets;
    std::vector<std::uint8_t> names;
    std::vector<std::uint8_t> rdata;
    std::vector<Precompiled> answers;
    std::vector<Cut> cuts;
    std::vector<std::uint8_t> bodies;
    std::vector<std::uint64_t> index;  // slots: upper 32 bits of the hash, lower 32 bits node + 1 (0 = empty)
    std::uint64_t index_mask = 0;

    std::vector<config::Cidr> allow_transfer;
    // dns.recursion, and dns.resolvers' addresses: the clients whose other-domain
    // queries are forwarded, and the servers we forward to (never served
    // recursion: their queries would come back to them).
    std::vector<config::Cidr> recursion;
    std::vector<config::IpAddr> upstreams;
    std::string hostname;  // appliance host name: CH TXT id.server (as NSD answers with its identity)
    std::string version;   // CH TXT version.bind: "mxlab 0.1.0"

    std::span<const std::uint8_t> node_name(const Node& n) const { return {names.data() + n.name, n.name_len}; }
    std::span<const std::uint8_t> owner(const RRset& r) const { return {names.data() + r.owner, r.owner_len}; }
    std::span<const std::uint8_t> zone_name(const Zone& z) const { return {names.data() + z.name_off, z.name_len}; }

    // The node with exactly this lower-case wire name, or none.
    std::uint32_t find(const std::uint8_t* name, std::size_t len, std::uint64_t hash) const {
        if (index.empty()) return none;
        const std::uint32_t tag = static_cast<std::uint32_t>(hash >> 32);
        for (std::uint64_t i = hash & index_mask;; i = (i + 1) & index_mask) {
            const std::uint64_t slot = index[i];
            if (slot == 0) return none;
            if (static_cast<std::uint32_t>(slot >> 32) == tag) {
                const std::uint32_t n = static_cast<std::uint32_t>(slot) - 1;
                const Node& node = nodes[n];
                if (node.name_len == len && std::memcmp(names.data() + node.name, name, len) == 0) return n;
            }
        }
    }
    std::uint32_t find(std::span<const std::uint8_t> name) const {
        return find(name.data(), name.size(), hash_bytes(name.data(), name.size()));
    }

    // The RRset of this type at the node, or none.
    std::uint32_t find_rrset(const Node& n, std::uint16_t type) const {
        for (std::uint32_t i = n.rrsets; i < n.rrsets + n.rrset_count; ++i)
            if (rrsets[i].type == type) return i;
        return none;
    }

    // Iterates the RDATA of an RRset: calls f(std::span<const uint8_t>) per RR.
    template <class F>
    void for_each_rdata(const RRset& r, F&& f) const {
        const std::uint8_t* p = rdata.data() + r.rdata;
        for (std::uint16_t i = 0; i < r.count; ++i) {
            const std::uint16_t len = get16(p);
            f(std::span<const std::uint8_t>(p + 2, len));
            p += 2 + len;
        }
    }
};

}  // namespace mxlab::dns
