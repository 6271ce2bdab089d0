// `mxlab check`: validates a config and prints what it would run.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <vector>

#include "config/config.hpp"

namespace mxlab::appliance {

// Prints errors and warnings to `err` and, when there is no error, a summary
// to `out`. Returns 0 when the config is usable (warnings allowed), else 1.
int check(const std::filesystem::path& file, std::ostream& out, std::ostream& err);

// The summary alone, for a loaded config.
void print_summary(const config::Config& cfg, std::ostream& out);

// What load_file cannot judge because it is on disk, for `check` and `serve`
// alike: missing_tls_files, then open_data_dir.
std::vector<config::Diagnostic> check_disk(const config::Config& cfg);

// load_file, then check_disk on what it loaded: one list of diagnostics, and
// no config when any of them is an error.
config::LoadResult load_checked(const std::filesystem::path& file);

// Whether the TOML names its own certificate pair: tls.cert or tls.key is
// set to something other than the default tls/cert.pem, tls/key.pem under
// data_dir (written out, the defaults mean what leaving them out means).
// An explicit pair is used as given: mxlab never writes it (DESIGN.md section 2).
bool explicit_tls(const config::Config& cfg);

// Errors for the files of an explicit pair that do not exist, each naming the
// key, the path and what to do. Making a pair there instead would let a typo
// silently swap the served certificate (and create folders as root wherever
// it points), so the pairs mxlab makes live only at the defaults.
std::vector<config::Diagnostic> missing_tls_files(const config::Config& cfg);

// A warning when data_dir exists and group or others have any access to it:
// it holds every user's mail. Not fixed silently, as Postfix and Dovecot do
// not change the mode of a folder they did not create: an admin may have
// opened it on purpose (a backup group). `serve` makes it 0700 when it
// creates it.
std::optional<config::Diagnostic> open_data_dir(const config::Config& cfg);

}  // namespace mxlab::appliance
