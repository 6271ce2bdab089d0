// The zone set the DNS fuzz targets answer from: the DNS unit tests' lab, with a zone big enough that AXFR takes several messages.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>

#include "dns/zones.hpp"
#include "tests/unit/dns/dns_test_util.hpp"

namespace mxlab::fuzz {

// The lab allows transfers to 127.0.0.1 only, so that the client address decides.
inline config::IpAddr transfer_client() { return dns::test::v4(127, 0, 0, 1); }
inline config::IpAddr other_client() { return dns::test::v4(10, 9, 9, 9); }

// sina.com has wildcards, a delegation with glue, CNAME chains (in, across,
// out, looping) and big RRsets (dns_test_util.cpp); bigsky.com gets enough
// hosts (over 16 KB) to take an AXFR past its first message.
inline std::shared_ptr<const dns::ZoneSet> make_zones() {
    auto c = dns::test::lab_config();
    for (auto& d : c.domains) {
        if (d.name != "bigsky.com") continue;
        for (int i = 0; i < 900; ++i) d.records.push_back({"h" + std::to_string(i) + " A 10.0.2." + std::to_string(i % 250), {}});
    }
    // The transfer client may also recurse: names outside our zones are left to the forwarder.
    c.dns.recursion = {config::Cidr{transfer_client(), 32}};
    auto b = dns::test::build(c);
    if (!b.errors.empty()) std::abort();
    return b.zones;
}

}  // namespace mxlab::fuzz
