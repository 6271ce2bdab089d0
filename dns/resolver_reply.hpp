// The resolver's pure half: query bytes, reply parsing and what one server's reply means (no sockets).
//
// The mail side's resolver (dns/resolver.hpp) sends a query, then hands every
// datagram or TCP message it gets to parse_reply() and the parsed reply to
// judge(). Both are plain functions of bytes, unit-tested and fuzzed
// (tests/fuzz/resolver_reply_fuzz.cpp). The meaning of a reply follows
// RFC 1034 section 5.3.3 (answer, CNAME, referral, error), RFC 2308 section 2
// (NXDOMAIN and the three NODATA shapes) and RFC 6604 (the rcode speaks of the
// last name of a CNAME chain).
//
// Names are lower-case uncompressed wire names (dns/wire.hpp), so that
// comparing and bailiwick checks are byte operations and labels that hold a
// '.' cannot be mistaken for two labels.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mxlab::dns::client {

using WireName = std::vector<std::uint8_t>;

// What we asked; a reply must echo it (RFC 5452 section 9.1: ID, question).
struct Question {
    std::uint16_t id = 0;
    WireName name;  // lower case
    std::uint16_t type = 0;
};

// The query: RD=1 (the configured resolvers may recurse for us; authoritative
// servers ignore it), one question of class IN, and an OPT record (RFC 6891)
// advertising `payload` bytes, 1232 by default so that replies are not
// IP-fragmented (DNS flag day 2020).
std::vector<std::uint8_t> make_query(const Question& q, std::uint16_t payload = 1232);

// One resource record of class IN from a reply, with the parts the resolver uses.
struct Record {
    WireName owner;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;
    std::optional<config::IpAddr> address;  // A, AAAA
    std::uint16_t preference = 0;           // MX
    WireName target;                        // MX exchange, CNAME, NS; the root ({0}) for a null MX
    std::uint32_t soa_minimum = 0;          // SOA
};

struct Reply {
    std::uint16_t id = 0;
    bool aa = false;
    bool tc = false;
    bool ra = false;
    std::uint16_t rcode = 0;  // with the EDNS extended bits (RFC 6891 6.1.3)
    std::vector<Record> answer;
    std::vector<Record> authority;
    std::vector<Record> additional;  // without the OPT
};

struct ParsedReply {
    enum class Status {
        ok,         // `reply` is the answer to `q`
        unrelated,  // not a reply to this query (wrong ID or question, QR=0): keep listening
        malformed,  // claims to answer this query but cannot be used: treat as a server failure
    };
    Status status = Status::unrelated;
    Reply reply;
    std::string error;  // malformed: why
};

// Parses with ldns (ldns_wire2pkt) and checks the reply against the question.
ParsedReply parse_reply(std::span<const std::uint8_t> bytes, const Question& q);

// What one server's reply means for (q.name, q.type), asked of a server that
// we trust for `zone` (the root for the configured resolvers; the delegated
// zone for servers found through a referral).
struct Verdict {
    enum class Kind {
        answer,     // `records` hold the RRset of the type at `canonical` (after `cnames`)
        nodata,     // `canonical` exists without that type (RFC 2308 2.2)
        nxdomain,   // `canonical` does not exist (RFC 2308 2.1, RFC 6604)
        cname,      // the chain leaves what this reply knows: ask again for `canonical` (RFC 1034 5.3.3 step 3)
        referral,   // ask the servers of `cut`: `ns` names, `glue` addresses (RFC 1034 5.3.3 step 4)
        truncated,  // TC=1: ask the same server over TCP (RFC 7766 section 5)
        failed,     // SERVFAIL, REFUSED, NOTIMP, FORMERR, another rcode, or a lame reply: next server
    };
    Kind kind = Kind::failed;
    WireName canonical;
    std::vector<Record> cnames;     // the chain from q.name, in order
    std::vector<Record> records;    // answer
    std::vector<Record> addresses;  // answer: A/AAAA from the additional section inside the bailiwick
    std::uint32_t negative_ttl = 0; // nodata/nxdomain: min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5)
    WireName cut;                   // referral
    std::vector<WireName> ns;       // referral: the NS targets
    std::vector<Record> glue;       // referral: A/AAAA of the NS targets, inside `zone`
    std::string why;                // failed: "SERVFAIL", "REFUSED", "lame referral to example.org" ...
};

// Longest CNAME chain followed inside one reply (RFC 1034 does not bound it;
// BIND and Unbound stop around 8-16).
inline constexpr int max_cnames_in_reply = 16;

Verdict judge(const Reply& reply, const Question& q, std::span<const std::uint8_t> zone);

// "NOERROR", "SERVFAIL", "REFUSED", ... or "RCODE17".
std::string rcode_name(std::uint16_t rcode);

}  // namespace mxlab::dns::client
