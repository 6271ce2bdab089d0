// `mxlab zone`: the zones the config would serve, in zone-file syntax.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace mxlab::appliance {

// Prints the named zones (all when `domains` is empty). Serials are those the
// daemon would serve (read from data_dir, never written). Returns the exit status.
int print_zones(const std::filesystem::path& file, const std::vector<std::string>& domains, std::ostream& out,
                std::ostream& err);

}  // namespace mxlab::appliance
