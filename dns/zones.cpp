// build_zones: config -> zone content -> serials -> compiled answer table.
#include "dns/zones.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "dns/table.hpp"
#include "dns/zone_data.hpp"

namespace mxlab::dns {

BuildResult build_zones(const config::Config& cfg, SerialStore& serials) {
    const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    return build_zones(cfg, serials, today);
}

BuildResult build_zones(const config::Config& cfg, SerialStore& serials, std::chrono::sys_days today) {
    BuildResult result;
    std::vector<ZoneData> zones = zones_from_config(cfg, result.errors);
    if (!result.errors.empty()) return result;
    for (ZoneData& z : zones) {
        z.serial = serials.serial_for(z.name, z.content_hash, today);
        set_serial(z, z.serial);
    }
    auto compiled = compile_zones(zones, cfg);
    // Only a build that will be served hands out its serials.
    for (const ZoneData& z : zones) serials.set(z.name, z.content_hash, z.serial);
    if (auto err = serials.save()) {
        result.errors.push_back("dns serials: " + *err);
        return result;
    }
    result.zones = std::move(compiled);
    zones.clear();
    zones.shrink_to_fit();
#if defined(__GLIBC__)
    // The build's many small temporaries leave freed holes all over the heap;
    // hand them back so a large zone costs its table, not its build.
    malloc_trim(0);
#endif
    return result;
}

}  // namespace mxlab::dns
