// `mxlab serve`: the daemon's life cycle (start, reload on SIGHUP, stop on SIGTERM/SIGINT).
#pragma once

#include <filesystem>

#include "core/log.hpp"

namespace mxlab::appliance {

// Runs in the foreground until SIGTERM/SIGINT. Returns the exit status:
// 0 after a graceful stop, 1 when the config is bad, 2 on a runtime failure.
int serve(const std::filesystem::path& config_file, Logger& log);

}  // namespace mxlab::appliance
