// `mxlab check`: diagnostics, then a summary a student can compare with what they meant.
#include "appliance/check.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <utility>

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

void print_listener(std::ostream& out, std::string_view service, bool enabled,
                    std::initializer_list<std::pair<std::string_view, std::uint16_t>> ports) {
    out << "  " << service << ": ";
    if (!enabled) {
        out << "off\n";
        return;
    }
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

}  // namespace

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
    std::vector<config::Diagnostic> out;
    if (auto d = open_data_dir(cfg)) out.push_back(std::move(*d));
    return out;
}

config::LoadResult load_checked(const std::filesystem::path& file) {
    auto result = config::load_file(file);
    if (!result.ok()) return result;
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
    print_listener(out, "web", s.web, {{"http", p.http}, {"https", p.https}});
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
