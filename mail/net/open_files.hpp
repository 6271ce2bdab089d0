// Descriptors for the connection limits: the daemon raises its open-files soft limit to the hard one at start, and `mxlab check` warns when [limits] cannot fit under the hard one.
//
// Each connection is a descriptor. A soft limit of 1024 (the shell's usual)
// under [limits] of 1,000 SMTP and 2,000 POP3 connections would have accept()
// fail long before any limit is reached; the hard limit (systemd's
// LimitNOFILE, 65536 in packaging/mxlab.service) is what the process may use.
#pragma once

#include <cstdint>
#include <optional>

#include "config/config.hpp"

namespace mxlab::mail::net {

struct OpenFiles {
    std::uint64_t was = 0;   // the soft limit before
    std::uint64_t soft = 0;  // now
    std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard one (as far as the kernel allows).
OpenFiles raise_open_files();

// Descriptors the daemon needs beside the mail connections: DNS over TCP
// (512 when it listens), the store, listeners, the log, outbound SMTP.
std::uint64_t other_descriptors(const config::Config& cfg);

// A warning for `mxlab check` when the mail services' connection limits and
// other_descriptors() add up to more than `hard`.
std::optional<config::Diagnostic> open_files_warning(const config::Config& cfg, std::uint64_t hard);

// The process's hard RLIMIT_NOFILE.
std::uint64_t open_files_hard_limit();

}  // namespace mxlab::mail::net
