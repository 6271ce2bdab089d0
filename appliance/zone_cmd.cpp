// `mxlab zone`: builds the zones as `serve` would and prints them.
#include "appliance/zone_cmd.hpp"

#include "config/config.hpp"
#include "dns/zones.hpp"

namespace mxlab::appliance {

int print_zones(const std::filesystem::path& file, const std::vector<std::string>& domains, std::ostream& out,
                std::ostream& err) {
    auto result = config::load_file(file);
    for (const auto& d : result.diagnostics)
        if (d.severity == config::Diagnostic::Severity::error) err << config::format(file, d) << '\n';
    if (!result.ok()) return 1;
    const auto& cfg = *result.config;

    std::vector<std::string> names = domains;
    if (names.empty())
        for (const auto& d : cfg.domains) names.push_back(d.name);
    for (const auto& n : names) {
        if (!cfg.find_domain(n)) {
            err << "mxlab: zone: " << n << " is not a [[domain]] of " << file.string() << '\n';
            return 1;
        }
    }
    try {
        dns::SerialStore serials(cfg.appliance.data_dir / "dns-serials", dns::SerialStore::Mode::read_only);
        auto built = dns::build_zones(cfg, serials);
        for (const auto& e : built.errors) err << "mxlab: zone: " << e << '\n';
        if (!built.zones) return 1;
        bool first = true;
        for (const auto& n : names) {
            if (!first) out << '\n';
            first = false;
            out << dns::zone_text(*built.zones, cfg.find_domain(n)->name);
        }
    } catch (const std::exception& e) {
        err << "mxlab: zone: " << e.what() << '\n';
        return 2;
    }
    return 0;
}

}  // namespace mxlab::appliance
