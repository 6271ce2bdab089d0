// The zone set built from each config, shared by the DNS servers and the mail side's resolver.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "config/config.hpp"
#include "dns/serials.hpp"
#include "dns/zone_holder.hpp"
#include "dns/zones.hpp"

namespace mxlab::appliance {

// The mail side looks up our own domains in these zones (DESIGN.md section
// 4), also when services.dns is off, so the zones are built here once per
// config and both services take them.
class Zones {
public:
    // The zones of `cfg`, built on the first call for that snapshot; later
    // calls with the same snapshot return the same result. The error is
    // non-empty when the zones cannot be built.
    struct Built {
        std::shared_ptr<const dns::ZoneSet> zones;
        std::string error;
    };
    Built build(const std::shared_ptr<const config::Config>& cfg);

    dns::ZoneHolder& holder() { return holder_; }

private:
    std::mutex mu_;
    std::unique_ptr<dns::SerialStore> serials_;  // opened at the first build, under data_dir
    std::shared_ptr<const config::Config> last_cfg_;
    Built last_;
    dns::ZoneHolder holder_;
};

}  // namespace mxlab::appliance
