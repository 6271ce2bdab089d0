// `mxlab check`: diagnostics, then a summary a student can compare with what they meant.
#include "appliance/check.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

#include "appliance/host_check.hpp"
#include "mail/net/open_files.hpp"

namespace mxlab::appliance {

namespace {

std::string join_addresses(const std::vector<config::IpAddr>& addrs) {
    std::string s;
    for (const auto& a : addrs) {
        if (!s.empty()) s += ", ";
        s += a.str();
    }
    return s.empty() ? "(none)" : s;
}

// `built` false: a service the config may enable that mxlab does not have yet,
// so nothing listens on its ports, whatever the config says.
void print_listener(std::ostream& out, std::string_view service, bool enabled,
                    std::initializer_list<std::pair<std::string_view, std::uint16_t>> ports, bool built = true) {
    out << "  " << service << ": ";
    const bool any_port = std::any_of(ports.begin(), ports.end(), [](auto& p) { return p.second != 0; });
    if (!enabled || (!built && !any_port)) {
        out << "off\n";
        return;
    }
    if (!built) out << "not built yet, nothing listens on ";
    bool first = true;
    for (auto [what, port] : ports) {
        if (!first) out << ", ";
        first = false;
        out << what << ' ';
        if (port == 0)
            out << "off";
        else
            out << port;
    }
    out << '\n';
}

namespace fs = std::filesystem;

// For every name at once: check must answer quickly also without network.
constexpr std::chrono::milliseconds kLookupBudget{3000};

config::Diagnostic error(std::string key, std::string message) {
    return {config::Diagnostic::Severity::error, {}, std::move(key), std::move(message)};
}

fs::path default_tls_cert(const config::Config& cfg) { return cfg.appliance.data_dir / "tls" / "cert.pem"; }
fs::path default_tls_key(const config::Config& cfg) { return cfg.appliance.data_dir / "tls" / "key.pem"; }

// Why `p` is missing, or nothing when it exists or cannot be looked at (a
// folder check may not enter: whoever runs serve may, and reading it then
// says what is wrong).
std::optional<std::string> missing_because(const fs::path& p) {
    std::error_code ec;
    if (fs::status(p, ec).type() != fs::file_type::not_found) return std::nullopt;
    if (fs::is_symlink(fs::symlink_status(p, ec)))
        return "is a symlink to " + fs::read_symlink(p, ec).string() + ", which does not exist";
    return "does not exist";
}

}  // namespace

bool explicit_tls(const config::Config& cfg) {
    return cfg.tls.given && (cfg.tls.cert != default_tls_cert(cfg) || cfg.tls.key != default_tls_key(cfg));
}

std::vector<config::Diagnostic> missing_tls_files(const config::Config& cfg) {
    std::vector<config::Diagnostic> out;
    if (!explicit_tls(cfg)) return out;
    const struct {
        std::string_view key;
        const fs::path& path;
        fs::path default_path;
        std::string_view other;
        std::string_view what;
    } files[] = {{"tls.cert", cfg.tls.cert, default_tls_cert(cfg), "tls.key", "certificate"},
                 {"tls.key", cfg.tls.key, default_tls_key(cfg), "tls.cert", "private key"}};
    for (const auto& f : files) {
        const auto why = missing_because(f.path);
        if (!why) continue;
        const std::string key(f.key), other(f.other), what(f.what);
        if (f.path == f.default_path) {
            // Only the other key was written: this one is its default, not what the user meant.
            out.push_back(error(key, f.path.string() + " (the default) " + *why + ": with " + other + " set, set " +
                                         key + " to the " + what + " that goes with it"));
        } else {
            out.push_back(error(key, f.path.string() + " " + *why +
                                         ": fix the path, or remove tls.cert and tls.key from [tls] to have mxlab "
                                         "issue a pair from its lab CA in data_dir (it makes none at a path you chose)"));
        }
    }
    return out;
}

std::optional<config::Diagnostic> open_data_dir(const config::Config& cfg) {
    const auto& dir = cfg.appliance.data_dir;
    struct stat st{};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) == 0) return std::nullopt;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return config::Diagnostic{config::Diagnostic::Severity::warning, {}, "appliance.data_dir",
                              dir.string() + " has mode " + mode +
                                  ": other local accounts can read the mail kept there; chmod 700 " + dir.string()};
}

std::vector<config::Diagnostic> check_disk(const config::Config& cfg) {
    auto out = missing_tls_files(cfg);
    if (auto d = open_data_dir(cfg)) out.push_back(std::move(*d));
    return out;
}

config::LoadResult load_checked(const std::filesystem::path& file) {
    auto result = config::load_file(file);
    if (!result.ok()) return result;
    if (auto d = mail::net::open_files_warning(*result.config, mail::net::open_files_hard_limit())) result.diagnostics.push_back(std::move(*d));
    for (auto& d : check_disk(*result.config)) {
        if (d.severity == config::Diagnostic::Severity::error) result.config.reset();
        result.diagnostics.push_back(std::move(d));
    }
    return result;
}

void print_summary(const config::Config& cfg, std::ostream& out) {
    const auto& a = cfg.appliance;
    const auto& p = cfg.ports;
    const auto& s = cfg.services;
    out << "config " << cfg.file.string() << " is valid\n";
    out << "hostname: " << a.hostname << '\n';
    out << "addresses: " << join_addresses(a.addresses)
        << (a.addresses_from_interfaces ? " (from this machine's interfaces)" : "") << '\n';
    out << "listen: " << join_addresses(a.listen) << '\n';
    out << "data_dir: " << a.data_dir.string() << '\n';
    out << "services:\n";
    print_listener(out, "dns", s.dns, {{"port", p.dns}});
    print_listener(out, "smtp", s.smtp, {{"port", p.smtp}});
    print_listener(out, "submission", s.submission, {{"port", p.submission}, {"implicit TLS", p.smtps}});
    print_listener(out, "pop3", s.pop3, {{"port", p.pop3}, {"implicit TLS", p.pop3s}});
    print_listener(out, "imap", s.imap, {{"port", p.imap}, {"implicit TLS", p.imaps}});
    print_listener(out, "web", s.web, {{"http", p.http}, {"https", p.https}}, false);
    out << "relay: " << config::to_string(cfg.smtp.relay);
    if (cfg.smtp.relay == config::Relay::networks) {
        out << " (";
        for (size_t i = 0; i < cfg.smtp.relay_networks.size(); ++i)
            out << (i ? ", " : "") << cfg.smtp.relay_networks[i].str();
        out << ')';
    }
    out << '\n';
    out << "resolvers: ";
    if (cfg.dns.resolvers.empty()) out << "(none: only our own zones)";
    for (size_t i = 0; i < cfg.dns.resolvers.size(); ++i) out << (i ? ", " : "") << cfg.dns.resolvers[i].str();
    out << '\n';
    out << "recursion: ";
    if (cfg.dns.recursion.empty()) out << "(none: other domains are refused)";
    for (size_t i = 0; i < cfg.dns.recursion.size(); ++i) out << (i ? ", " : "") << cfg.dns.recursion[i].str();
    out << '\n';
    out << "domains:\n";
    for (const auto& d : cfg.domains) {
        out << "  " << d.name;
        if (d.mail)
            out << ": mail via " << d.mx << ", " << d.users.size() << " users, " << d.aliases.size()
                << " aliases";
        else
            out << ": DNS only";
        out << ", " << d.records.size() << " extra records";
        if (!d.catch_all.empty()) out << ", catch-all " << d.catch_all;
        out << '\n';
    }
}

int check(const std::filesystem::path& file, std::ostream& out, std::ostream& err) {
    auto result = load_checked(file);
    // Only for a usable config: a name in a config with errors may be one of them.
    if (result.ok())
        for (auto& d : unresolved_hosts(*result.config, result.foreign_hosts, kLookupBudget))
            result.diagnostics.push_back(std::move(d));
    for (const auto& d : result.diagnostics) err << config::format(file, d) << '\n';
    if (!result.ok()) {
        size_t errors = 0;
        for (const auto& d : result.diagnostics)
            if (d.severity == config::Diagnostic::Severity::error) ++errors;
        err << "mxlab: " << file.string() << ": " << errors << (errors == 1 ? " error" : " errors") << '\n';
        return 1;
    }
    print_summary(*result.config, out);
    return 0;
}

}  // namespace mxlab::appliance
