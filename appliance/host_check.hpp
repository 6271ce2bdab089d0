// `mxlab check`: do the mail hosts outside our zones resolve?
#pragma once

#include <chrono>
#include <vector>

#include "config/config.hpp"

namespace mxlab::appliance {

// A warning for each of `hosts` (LoadResult::foreign_hosts) that has no
// address: asked through dns.resolvers when set, as the appliance's mail side
// asks, else through the system's resolver (getaddrinfo). All names are asked
// at once and the whole check ends within `budget`: a machine without network
// fails at once, one whose DNS server does not answer waits `budget`, not a
// resolver timeout per name. At most 16 names are asked.
std::vector<config::Diagnostic> unresolved_hosts(const config::Config& cfg,
                                                 const std::vector<config::ForeignHost>& hosts,
                                                 std::chrono::milliseconds budget);

}  // namespace mxlab::appliance
