// Builds the zones once per config snapshot for every service that needs them.
#include "appliance/zones.hpp"

namespace mxlab::appliance {

Zones::Built Zones::build(const std::shared_ptr<const config::Config>& cfg) {
    std::lock_guard lock(mu_);
    if (cfg == last_cfg_) return last_;
    if (!serials_) serials_ = std::make_unique<dns::SerialStore>(cfg->appliance.data_dir / "dns-serials");
    auto built = dns::build_zones(*cfg, *serials_);
    Built out;
    out.zones = built.zones;
    for (const auto& e : built.errors) {
        if (!out.error.empty()) out.error += "; ";
        out.error += e;
    }
    if (!out.error.empty()) out.error = "the zones cannot be built: " + out.error;
    last_cfg_ = cfg;  // kept, so the pointer cannot be reused by another snapshot
    last_ = out;
    return out;
}

}  // namespace mxlab::appliance
