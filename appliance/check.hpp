// `mxlab check`: validates a config and prints what it would run.
#pragma once

#include <filesystem>
#include <ostream>

#include "config/config.hpp"

namespace mxlab::appliance {

// Prints errors and warnings to `err` and, when there is no error, a summary
// to `out`. Returns 0 when the config is usable (warnings allowed), else 1.
int check(const std::filesystem::path& file, std::ostream& out, std::ostream& err);

// The summary alone, for a loaded config.
void print_summary(const config::Config& cfg, std::ostream& out);

}  // namespace mxlab::appliance
