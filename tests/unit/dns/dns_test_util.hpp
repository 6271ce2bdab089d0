// Shared helpers for the DNS unit tests: the lab's config built by hand, query bytes, replies parsed with ldns.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/ldns_ptr.hpp"
#include "dns/responder.hpp"
#include "dns/zones.hpp"

namespace mxlab::dns::test {

config::IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
config::IpAddr v6(std::initializer_list<std::uint16_t> groups_then_last);  // v6({0xfd00}, ...) see .cpp

// The lab: appliance A (mail.sina.com, 10.0.1.10 and fd00::10) serving
// sina.com (with www, ftp CNAME, a delegation, a wildcard, SRV, CAA, CNAME
// chains in and out, big RRsets), bigsky.com (mail = false) and the reverse
// zone 1.0.10.in-addr.arpa. AXFR allowed to 127.0.0.1.
config::Config lab_config();

// Builds with serials that are never written (a missing read-only file) on 2025-01-01.
BuildResult build(const config::Config& cfg);

struct QueryOpts {
    std::uint16_t type = 1;
    std::uint16_t cls = 1;
    bool edns = false;
    std::uint16_t payload = 1232;
    bool do_bit = false;
    std::uint8_t version = 0;
    bool rd = true;
    std::uint16_t id = 0x1234;
};
// `name` in presentation form; letter case is kept in the wire bytes.
std::vector<std::uint8_t> make_query(std::string_view name, const QueryOpts& o = {});
std::vector<std::uint8_t> wire_name(std::string_view name);  // case kept

struct Reply {
    LdnsPkt pkt;
    std::vector<std::uint8_t> bytes;

    bool ok() const { return pkt != nullptr; }
    int rcode() const;
    bool aa() const;
    bool tc() const;
    bool rd() const;
    bool ra() const;
    int qdcount() const;
    // "www.sina.com. 3600 IN A 10.0.1.20", one string per RR.
    std::vector<std::string> answer() const;
    std::vector<std::string> authority() const;
    std::vector<std::string> additional() const;  // without the OPT
    bool edns() const;
    int edns_payload() const;
    int edns_ext_rcode() const;
    bool edns_do() const;
};
Reply parse(std::span<const std::uint8_t> bytes);

// Asks `zones` through a Responder (UDP from 127.0.0.1 unless told otherwise).
Reply ask(const ZoneSet& zones, std::string_view name, const QueryOpts& o = {}, Transport t = Transport::udp);

}  // namespace mxlab::dns::test
