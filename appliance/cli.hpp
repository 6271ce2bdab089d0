// The mxlab command line (DESIGN.md section 2).
#pragma once

namespace mxlab::appliance {

// Returns the process exit status: 0 ok, 1 config or usage error, 2 runtime failure.
int run_cli(int argc, char** argv);

}  // namespace mxlab::appliance
