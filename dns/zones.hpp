// The DNS side's entry points: build the served zones from the config, print them as zone files.
//
// Reads: appliance.hostname, appliance.addresses, dns.default_ttl,
// dns.allow_transfer and every [[domain]] (name, mail, mx, records); see
// DESIGN.md sections 3 and 4. Records follow RFC 1035 (zone-file syntax, via
// ldns), RFC 2181 (RRsets, CNAME) and RFC 2308 (negative TTL).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "dns/serials.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

struct BuildResult {
    std::shared_ptr<const ZoneSet> zones;  // null when there are errors
    std::vector<std::string> errors;       // "zone sina.com: www.sina.com has CNAME and other data (A); ..."
};

// Builds every [[domain]]'s zone and compiles the answer table. Serials come
// from `serials` (and are saved there when the build succeeds; a failure to
// save is an error, since serving an unsaved serial could let it go back).
BuildResult build_zones(const config::Config& cfg, SerialStore& serials);
// The same with a given date for new serials (tests).
BuildResult build_zones(const config::Config& cfg, SerialStore& serials, std::chrono::sys_days today);

// One zone in zone-file syntax ($ORIGIN, $TTL, then SOA and the records with
// fully qualified names), as ldns-read-zone and named-checkzone accept it.
// Empty when `domain` is not one of the zones.
std::string zone_text(const ZoneSet& zones, std::string_view domain);

}  // namespace mxlab::dns
