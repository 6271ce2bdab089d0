// Compiling zone content into the immutable answer table (NSD's zone compiler step).
#pragma once

#include <memory>
#include <vector>

#include "config/config.hpp"
#include "dns/zone_data.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

// Lays out names, RRsets and nodes, builds the name index, and precompiles
// the answers of every node (see zone_set.hpp). Serials must be set.
std::shared_ptr<ZoneSet> compile_zones(const std::vector<ZoneData>& zones, const config::Config& cfg);

}  // namespace mxlab::dns
