// Open-files limits; see open_files.hpp.
#include "mail/net/open_files.hpp"

#include <sys/resource.h>

#include <string>

namespace mxlab::mail::net {

namespace {

std::uint64_t as_number(rlim_t v) { return v == RLIM_INFINITY ? UINT64_MAX : static_cast<std::uint64_t>(v); }

}  // namespace

OpenFiles raise_open_files() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return {};
    OpenFiles out{as_number(r.rlim_cur), as_number(r.rlim_cur), as_number(r.rlim_max)};
    if (r.rlim_cur == r.rlim_max) return out;
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        // Linux caps it at fs.nr_open even when the hard limit says infinity.
        raised.rlim_cur = 1 << 20;
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0) return out;
    }
    out.soft = as_number(raised.rlim_cur);
    return out;
}

std::uint64_t open_files_hard_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return UINT64_MAX;
    return as_number(r.rlim_max);
}

std::uint64_t other_descriptors(const config::Config& cfg) { return (cfg.services.dns && cfg.ports.dns ? 512 : 0) + 256; }

std::optional<config::Diagnostic> open_files_warning(const config::Config& cfg, std::uint64_t hard) {
    const auto& l = cfg.limits;
    std::uint64_t mail = 0;
    std::string parts;
    auto add = [&](bool on, std::size_t n, std::string_view key) {
        if (!on) return;
        mail += n;
        parts += (parts.empty() ? "" : " + ") + std::string(key) + " " + std::to_string(n);
    };
    // IMAP's imap_connections joins the sum when its server is built.
    const auto& p = cfg.ports;
    const auto& s = cfg.services;
    add((s.smtp && p.smtp) || (s.submission && (p.submission || p.smtps)), l.smtp_connections, "smtp_connections");
    add(s.pop3 && (p.pop3 || p.pop3s), l.pop3_connections, "pop3_connections");
    const std::uint64_t need = mail + other_descriptors(cfg);
    if (need <= hard) return std::nullopt;
    return config::Diagnostic{config::Diagnostic::Severity::warning, {}, "limits",
                              "[limits] allow " + std::to_string(mail) + " connections (" + parts + ") and mxlab needs some " +
                                  std::to_string(other_descriptors(cfg)) + " descriptors besides, but the open-files hard limit is " +
                                  std::to_string(hard) + ": connections past it fail; raise it (LimitNOFILE= in the systemd unit, " +
                                  "ulimit -Hn) or lower [limits]"};
}

}  // namespace mxlab::mail::net
