// Recursion for the lab's PCs, the pure half: who may recurse, what an upstream reply is worth keeping, and the client's reply.
//
// Reads dns.recursion and dns.resolvers (through the ZoneSet, so that a reload
// swaps them with the zones). A client in one of dns.recursion's networks that
// asks about a name outside our zones is answered like a forwarding resolver
// (BIND's `forward only`, dnsmasq) answers: the question goes to dns.resolvers
// with RD=1 and their reply comes back, from a cache while its TTLs last.
//   - RA=1 on every reply to such a client, authoritative ones included, as
//     BIND sets it wherever recursion is available to the client; AA=0 on the
//     forwarded ones (the answer is not ours). Everyone else: REFUSED and RA=0,
//     as before (never an open resolver).
//   - RD=0: answered from the cache only; a miss is REFUSED, as for a client
//     without recursion (BIND's allow-query-cache without recursion).
//   - The servers of dns.resolvers are never served recursion: their question
//     could only come back to them (A asks B, B asks A).
//   - Cached (RFC 1035 7.4, RFC 2181 8, RFC 2308 5): NOERROR with answers for
//     their smallest TTL, at most max_ttl; NXDOMAIN and NODATA for
//     min(SOA TTL, SOA MINIMUM) of the SOA in the authority section, at most
//     max_negative_ttl, and not at all without a SOA. SERVFAIL is never cached.
//     The TTLs served are counted down by the time spent in the cache.
//   - The client's ID, opcode, RD, CD and question (its case) are echoed;
//     EDNS as in responder.hpp. A reply that does not fit the client's UDP size
//     loses its additional section, then, if it still does not fit, everything
//     but the question, with TC=1, so the client asks again over TCP.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mxlab::dns {

class ZoneSet;

// One client question the responder could not answer from our zones, for the forwarder.
struct ForwardQuery {
    std::uint16_t id = 0;
    std::uint16_t keep = 0;           // reply flags kept from the query: opcode, RD, CD
    std::vector<std::uint8_t> question;  // as the client wrote it: name, type, class
    std::vector<std::uint8_t> qname;     // lower-case wire name
    std::uint16_t qtype = 0;
    std::uint16_t qclass = 0;
    bool edns = false;
    bool do_bit = false;
    std::uint16_t our_payload = 1232;  // what our OPT advertises
    std::size_t limit = 512;           // the largest reply the client takes (with our OPT)

    bool rd() const;
    // (qname, qtype, qclass): the cache's and the in-flight table's key.
    std::string key() const;
};

// `client` may recurse with these zones' dns.recursion and dns.resolvers.
bool recursion_allowed(const ZoneSet& zones, const config::IpAddr& client);

struct CacheLimits {
    std::uint32_t max_ttl = 86400;          // a day, as Unbound's cache-max-ttl
    std::uint32_t max_negative_ttl = 3600;  // RFC 2308 5 suggests 1-3 hours at most
};

// An upstream reply made ready to serve again: its OPT (and anything after
// it) removed, TTLs capped, and where each TTL sits, to count them down.
struct StoredReply {
    std::vector<std::uint8_t> message;     // header and all; ID 0
    std::vector<std::uint32_t> ttl_at;     // offsets of the TTL fields
    std::size_t question_end = 0;
    std::size_t additional_at = 0;         // where the additional section starts
    std::uint16_t an = 0, ns = 0, ar = 0;
    std::uint8_t rcode = 0;
    std::uint32_t lifetime = 0;            // seconds it may be served from the cache; 0: not at all
};

// `upstream` answers `q` (its ID and question already checked by
// client::parse_reply); nullopt when its records cannot be walked, or its
// rcode is neither NOERROR nor NXDOMAIN.
std::optional<StoredReply> store_reply(std::span<const std::uint8_t> upstream, const ForwardQuery& q,
                                       const CacheLimits& limits = {});

// The reply to `q`, from a stored reply that has been in the cache `elapsed` seconds.
std::vector<std::uint8_t> client_reply(const StoredReply& r, std::uint32_t elapsed, const ForwardQuery& q);

// The question echoed, no records: SERVFAIL when no upstream answered, REFUSED for a cache miss with RD=0.
std::vector<std::uint8_t> error_reply(const ForwardQuery& q, std::uint8_t rcode);

}  // namespace mxlab::dns
