// Checks that need more than one value: names, listeners, domains, admins, relay, resolvers and recursion.
#include <algorithm>
#include <unordered_map>

#include "config/detail.hpp"

namespace mxlab::config::detail {

namespace {

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool before(SourcePos a, SourcePos b) { return std::pair{a.line, a.column} < std::pair{b.line, b.column}; }

void hostname(const Config& cfg, const Sources& src, Diagnostics& diag) {
    if (!src.at.contains("appliance.hostname")) return;  // reported as missing by the loader
    if (auto p = hostname_problem(cfg.appliance.hostname); !p.empty())
        diag.error(src.get("appliance.hostname"), "appliance.hostname", quote(cfg.appliance.hostname) + " " + p);
}

// Two enabled listeners on one port would fail at bind time; say so now, with both names.
void listeners(const Config& cfg, const Sources& src, Diagnostics& diag) {
    const auto& p = cfg.ports;
    const auto& s = cfg.services;
    struct Listener {
        std::string_view key;
        std::uint16_t port;
        bool on;
    };
    const Listener all[] = {{"ports.dns", p.dns, s.dns},
                            {"ports.smtp", p.smtp, s.smtp},
                            {"ports.submission", p.submission, s.submission},
                            {"ports.smtps", p.smtps, s.submission},
                            {"ports.pop3", p.pop3, s.pop3},
                            {"ports.pop3s", p.pop3s, s.pop3},
                            {"ports.imap", p.imap, s.imap},
                            {"ports.imaps", p.imaps, s.imap},
                            {"ports.http", p.http, s.web},
                            {"ports.https", p.https, s.web}};
    for (std::size_t j = 0; j < std::size(all); ++j) {
        if (!all[j].on || all[j].port == 0) continue;
        for (std::size_t i = 0; i < j; ++i) {
            if (!all[i].on || all[i].port != all[j].port) continue;
            // Blame the one written later: a default (no position) is the one that was there first.
            const auto pi = src.at.contains(all[i].key) ? src.get(all[i].key) : SourcePos{};
            const auto pj = src.at.contains(all[j].key) ? src.get(all[j].key) : SourcePos{};
            const auto& [blamed, other] = before(pi, pj) ? std::pair{all[j], all[i]} : std::pair{all[i], all[j]};
            diag.error(src.get(blamed.key), std::string(blamed.key),
                       "port " + std::to_string(blamed.port) + " is also used by " + std::string(other.key) +
                           "; two listeners cannot share a port (set one to another port, or 0 to disable it)");
            break;
        }
    }
}

void domains(const Config& cfg, const Sources& src, Diagnostics& diag) {
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t i = 0; i < cfg.domains.size(); ++i) {
        const auto& d = cfg.domains[i];
        const auto& ds = src.domains[i];
        if (ds.at.contains("name")) {
            if (auto p = domain_problem(d.name, d.mail); !p.empty())
                diag.error(ds.get("name"), ds.full("name"), quote(d.name) + " " + p);
            else if (auto [it, fresh] = seen.emplace(d.name, i); !fresh)
                diag.error(ds.get("name"), ds.full("name"),
                           "duplicate domain: " + quote(d.name) + " is already at line " +
                               std::to_string(src.domains[it->second].get("name").line) +
                               " (domain names are case-insensitive)");
        }
        if (d.mail) {
            if (ds.at.contains("mx"))
                if (auto p = hostname_problem(d.mx); !p.empty())
                    diag.error(ds.get("mx"), ds.full("mx"), quote(d.mx) + " " + p);
            continue;
        }
        // mail = false: anything about mail here is a contradiction, not something to ignore.
        const std::string why = "this domain has mail = false, so it takes no mail (remove this, or set mail = true)";
        for (std::string_view k : {"mx", "catch_all", "users", "aliases"})
            if (ds.at.contains(k) || (k == "users" && !d.users.empty()) || (k == "aliases" && !d.aliases.empty())) {
                const auto pos = k == "users" && !d.users.empty()       ? d.users[0].pos
                                 : k == "aliases" && !d.aliases.empty() ? d.aliases[0].pos
                                                                        : ds.get(k);
                diag.error(pos, ds.full(k), why);
            }
    }
}

// Admins sign in to the status page, so each must be a user who can sign in.
void admins(const Config& cfg, const Sources& src, Diagnostics& diag) {
    for (std::size_t i = 0; i < cfg.web.admins.size(); ++i) {
        const auto& a = cfg.web.admins[i];
        const auto key = "web.admins[" + std::to_string(i + 1) + "]";
        const auto at = a.rfind('@');
        if (at == std::string::npos) {
            diag.error(src.get(key), key, quote(a) + " is not an address: write the full address, like \"bob@sina.com\"");
            continue;
        }
        const auto* d = cfg.find_domain(std::string_view(a).substr(at + 1));
        const auto local = std::string_view(a).substr(0, at);
        const bool user = d && d->mail && std::any_of(d->users.begin(), d->users.end(), [&](const User& u) {
                              return iequals(u.name, local);
                          });
        if (!user)
            diag.error(src.get(key), key,
                       quote(a) + " is not a user of this config" +
                           (d && d->mail ? " (" + d->name + " has no user " + quote(local) + ")" : ""));
    }
}

void relay(const Config& cfg, const Sources& src, Diagnostics& diag) {
    const auto pos = src.get("smtp.relay");
    if (cfg.smtp.relay == Relay::open)
        diag.warning(pos, "smtp.relay",
                     "relay = \"open\" lets anyone on the network send mail anywhere through this server "
                     "(an open relay, soon abused by spammers); \"authenticated\" is the usual choice");
    if (cfg.smtp.relay == Relay::networks && cfg.smtp.relay_networks.empty())
        diag.warning(pos, "smtp.relay",
                     "relay = \"networks\" but smtp.relay_networks is empty: only authenticated clients can relay");
}

// A resolver that is ourselves would loop: the mail side asks it about domains we do not serve.
void resolvers(const Config& cfg, const Sources& src, Diagnostics& diag) {
    if (!cfg.services.dns || cfg.ports.dns == 0) return;
    const auto& a = cfg.appliance;
    for (std::size_t i = 0; i < cfg.dns.resolvers.size(); ++i) {
        const auto& r = cfg.dns.resolvers[i];
        if (r.port != cfg.ports.dns) continue;
        const bool wildcard = std::any_of(a.listen.begin(), a.listen.end(), [&](const IpAddr& l) {
            return l.is_unspecified() && (l.v6 == r.addr.v6 || l.v6);  // "::" also takes IPv4 on Linux
        });
        const bool self = r.addr.is_unspecified() || contains(a.listen, r.addr) ||
                          (wildcard && (r.addr.is_loopback() || contains(a.addresses, r.addr)));
        if (!self) continue;
        const auto key = "dns.resolvers[" + std::to_string(i + 1) + "]";
        const std::string what = r.str() + " is this appliance itself, which only knows its own zones; "
                                           "name the other lab server's DNS (or leave resolvers empty)";
        // With recursion on, asking ourselves is a loop every client query would go round.
        if (cfg.dns.recursion.empty()) diag.warning(src.get(key), key, what);
        else diag.error(src.get(key), key, what + "; with dns.recursion set, queries would loop back to us");
    }
}

// Recursion without anyone to ask answers every such query with SERVFAIL.
void recursion(const Config& cfg, const Sources& src, Diagnostics& diag) {
    if (cfg.dns.recursion.empty() || !cfg.dns.resolvers.empty()) return;
    diag.warning(src.get("dns.recursion"), "dns.recursion",
                 "dns.resolvers is empty, so the clients of dns.recursion get SERVFAIL for names outside our "
                 "zones; name the server to ask in dns.resolvers (the other lab server, or the school's DNS)");
}

}  // namespace

void validate(Config& cfg, const Sources& src, Diagnostics& diag, std::vector<ForeignHost>& foreign) {
    hostname(cfg, src, diag);
    listeners(cfg, src, diag);
    domains(cfg, src, diag);
    check_mailboxes(cfg, src, diag);
    admins(cfg, src, diag);
    relay(cfg, src, diag);
    resolvers(cfg, src, diag);
    recursion(cfg, src, diag);
    check_records(cfg, src, diag, foreign);
}

}  // namespace mxlab::config::detail
