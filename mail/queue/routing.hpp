// Where a remote domain's mail goes: the MX answer turned into the hosts to try, or a reason to defer or bounce.
//
// RFC 5321 section 5.1: MX hosts in preference order; the implicit MX (the
// domain's own address) when there is no MX; when this appliance is itself
// one of the MX hosts, only hosts strictly more preferred than we are may be
// tried, and when there are none the mail "loops back to myself" (5.4.6).
// RFC 7505: a null MX means the domain takes no mail (5.1.10).
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "dns/resolver.hpp"

namespace mxlab::queue {

// How other hosts would reach this appliance.
struct Identity {
    std::string hostname;               // appliance.hostname
    std::vector<config::IpAddr> addresses;  // appliance.addresses and the non-wildcard listen addresses
};

Identity identity_of(const config::Config& cfg);

struct Route {
    enum class Kind { deliver, defer, bounce };
    Kind kind = Kind::defer;
    std::vector<dns::MxHost> hosts;  // deliver: in the order to try
    std::string status;              // defer and bounce: the enhanced status code, e.g. "5.1.2"
    std::string text;                // defer and bounce: what the log, `mxlab queue list` and the bounce say
};

Route plan_route(const std::string& domain, const dns::MxResult& mx, const Identity& self);

}  // namespace mxlab::queue
