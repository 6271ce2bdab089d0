// Checks of who receives mail: users and their passwords, aliases, lists and catch-alls,
// and that postmaster@ reaches someone (RFC 5321 section 4.5.1).
#include <algorithm>
#include <unordered_map>

#include "config/detail.hpp"

namespace mxlab::config::detail {

namespace {

// The schemes mail/auth understands; the names are Dovecot's, which students meet elsewhere.
constexpr std::string_view kSchemes[] = {"PLAIN", "CLEARTEXT", "CRYPT", "SHA256-CRYPT", "SHA512-CRYPT", "BLF-CRYPT"};

std::string password_problem(std::string_view pw) {
    if (pw.empty()) return "the password is empty";
    if (pw.front() != '{') return {};
    const auto close = pw.find('}');
    if (close == std::string_view::npos)
        // Never echo the password itself: diagnostics end up in the system log.
        return "starts with \"{\" but has no \"}\": write {SCHEME}hash, or put {PLAIN} before a password "
               "that starts with \"{\"";
    const auto scheme = pw.substr(1, close - 1);
    const auto hash = pw.substr(close + 1);
    const auto known = std::find_if(std::begin(kSchemes), std::end(kSchemes),
                                    [&](std::string_view s) { return iequals(s, scheme); });
    if (known == std::end(kSchemes))
        return "unknown password scheme {" + std::string(scheme) +
               "}; use PLAIN, CLEARTEXT, CRYPT, SHA256-CRYPT, SHA512-CRYPT or BLF-CRYPT (`mxlab passwd` prints one)";
    if (hash.empty()) return "has nothing after {" + std::string(scheme) + "}";
    // crypt(3) hashes say which algorithm made them; a mismatch is a copy-paste mistake.
    const std::pair<std::string_view, std::string_view> prefixes[] = {
        {"SHA256-CRYPT", "$5$"}, {"SHA512-CRYPT", "$6$"}, {"BLF-CRYPT", "$2"}};
    for (auto [s, prefix] : prefixes)
        if (*known == s && !hash.starts_with(prefix))
            return "a {" + std::string(s) + "} hash starts with \"" + std::string(prefix) + "\"";
    return {};
}

// The local parts of one domain, in lower case: addresses match case-insensitively.
struct Names {
    std::unordered_map<std::string, const User*> users;
    std::unordered_map<std::string, const Alias*> aliases;

    bool has(std::string_view local) const {
        const auto l = lower(local);
        return users.contains(l) || aliases.contains(l);
    }
};

class Checker {
public:
    Checker(const Config& cfg, const Sources& src, Diagnostics& diag)
        : cfg_(cfg), src_(src), diag_(diag), names_(cfg.domains.size()) {}

    void run() {
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i)
            if (cfg_.domains[i].mail) collect(i);
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i)
            if (cfg_.domains[i].mail) {
                targets(i);
                postmaster(i);
            }
        loops();
    }

private:
    const Config& cfg_;
    const Sources& src_;
    Diagnostics& diag_;
    std::vector<Names> names_;  // parallel to cfg_.domains

    // Index of a mail domain of this config, by name.
    std::optional<std::size_t> local_domain(std::string_view name) const {
        const auto* d = cfg_.find_domain(name);
        if (!d || !d->mail) return std::nullopt;
        return static_cast<std::size_t>(d - cfg_.domains.data());
    }

    void collect(std::size_t i) {
        const auto& d = cfg_.domains[i];
        const auto& ds = src_.domains[i];
        auto& n = names_[i];
        for (const auto& u : d.users) {
            const auto key = ds.full("users." + key_part(u.name));
            if (auto p = local_part_problem(u.name); !p.empty())
                diag_.error(u.pos, key, "user name " + quote(u.name) + " " + p);
            else if (auto [it, fresh] = n.users.emplace(lower(u.name), &u); !fresh)
                diag_.error(u.pos, key,
                            "user " + quote(u.name) + " is already defined as " + quote(it->second->name) +
                                " at line " + std::to_string(it->second->pos.line) + " (local parts are case-insensitive)");
            if (auto p = password_problem(u.password); !p.empty())
                diag_.error(ds.get("users." + key_part(u.name)), key, p);
        }
        for (const auto& a : d.aliases) {
            const auto key = ds.full("aliases." + key_part(a.name));
            const auto l = lower(a.name);
            if (auto p = local_part_problem(a.name); !p.empty())
                diag_.error(a.pos, key, "alias name " + quote(a.name) + " " + p);
            else if (auto u = n.users.find(l); u != n.users.end())
                diag_.error(a.pos, key,
                            "alias " + quote(a.name) + " has the name of user " + quote(u->second->name) + " (line " +
                                std::to_string(u->second->pos.line) + "); a name is either a user or an alias");
            else if (auto [it, fresh] = n.aliases.emplace(l, &a); !fresh)
                diag_.error(a.pos, key,
                            "alias " + quote(a.name) + " is already defined as " + quote(it->second->name) +
                                " at line " + std::to_string(it->second->pos.line) + " (local parts are case-insensitive)");
        }
        if (!d.catch_all.empty() && !n.users.contains(lower(d.catch_all)))
            diag_.error(ds.get("catch_all"), ds.full("catch_all"),
                        quote(d.catch_all) + " is not a user of " + d.name + "; catch_all names the user who gets "
                                                                              "mail for unknown addresses");
    }

    void targets(std::size_t i) {
        const auto& d = cfg_.domains[i];
        const auto& ds = src_.domains[i];
        for (const auto& a : d.aliases)
            for (std::size_t t = 0; t < a.targets.size(); ++t) {
                const auto rel = "aliases." + key_part(a.name) + (a.is_list ? "[" + std::to_string(t + 1) + "]" : "");
                if (auto p = target_problem(a.targets[t], i); !p.empty()) diag_.error(ds.get(rel), ds.full(rel), p);
            }
    }

    // A mail domain with nobody in it refuses even postmaster@, which every
    // mail domain must take (RFC 5321 section 4.5.1): most often a domain
    // meant for DNS only that left out mail = false.
    void postmaster(std::size_t i) {
        const auto& d = cfg_.domains[i];
        const auto& ds = src_.domains[i];
        if (!d.users.empty() || names_[i].aliases.contains("postmaster") || !ds.at.contains("name") ||
            !domain_problem(d.name, true).empty())
            return;
        diag_.warning(ds.get("name"), ds.full("name"),
                      d.name + " takes mail but has no users and no postmaster, so mail to postmaster@" + d.name +
                          " (which RFC 5321 section 4.5.1 requires to work) is refused; add a user under "
                          "[domain.users], or an alias postmaster = \"you@another.domain\" under [domain.aliases], "
                          "or set mail = false if the domain is for DNS only");
    }

    std::string target_problem(const std::string& target, std::size_t i) const {
        const auto at = target.rfind('@');
        if (at == std::string::npos) {
            if (auto p = local_part_problem(target); !p.empty()) return quote(target) + " " + p;
            if (!names_[i].has(target))
                return "no user or alias " + quote(target) + " in " + cfg_.domains[i].name +
                       " (for another domain write the full address, like \"wfisk@bigsky.com\")";
            return {};
        }
        const auto local = std::string_view(target).substr(0, at);
        const auto domain = normalize_name(std::string_view(target).substr(at + 1));
        if (auto p = local_part_problem(local); !p.empty()) return quote(target) + ": the local part " + p;
        if (auto p = domain_problem(domain, true); !p.empty()) return quote(target) + ": the domain " + p;
        // Mail for our own domains never leaves this server: a missing name would bounce at once.
        if (auto j = local_domain(domain); j && !names_[*j].has(local))
            return quote(target) + ": " + cfg_.domains[*j].name + " is served here and has no user or alias " +
                   quote(local);
        return {};
    }

    // An alias that only leads to aliases that lead back to it delivers nowhere. (A
    // list that includes itself besides real mailboxes is harmless: expansion stops
    // at names already seen.)
    void loops() {
        struct Node {
            std::size_t domain;
            const Alias* alias;
            std::vector<std::size_t> next;  // targets that are aliases
            bool mailbox = false;           // some target is a user or another server's address
        };
        // Missing targets and empty lists were reported already; counting them as
        // mailboxes keeps them out of the loop report.
        std::vector<Node> nodes;
        std::unordered_map<const Alias*, std::size_t> index;
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i)
            for (const auto& a : cfg_.domains[i].aliases)
                if (auto it = names_[i].aliases.find(lower(a.name)); it != names_[i].aliases.end() && it->second == &a) {
                    index[&a] = nodes.size();
                    nodes.push_back({i, &a, {}, a.targets.empty()});
                }
        std::vector<std::vector<std::size_t>> from(nodes.size());
        for (std::size_t n = 0; n < nodes.size(); ++n)
            for (const auto& t : nodes[n].alias->targets) {
                const auto at = t.rfind('@');
                auto d = at == std::string::npos ? std::optional(nodes[n].domain)
                                                 : local_domain(normalize_name(std::string_view(t).substr(at + 1)));
                const auto local = lower(at == std::string::npos ? t : t.substr(0, at));
                if (!d) {
                    nodes[n].mailbox = true;
                } else if (auto it = names_[*d].aliases.find(local); it != names_[*d].aliases.end()) {
                    nodes[n].next.push_back(index[it->second]);
                    from[index[it->second]].push_back(n);
                } else {
                    nodes[n].mailbox = true;
                }
            }
        // Spread "reaches a mailbox" backwards from the aliases that name one directly.
        std::vector<std::size_t> work;
        for (std::size_t n = 0; n < nodes.size(); ++n)
            if (nodes[n].mailbox) work.push_back(n);
        while (!work.empty()) {
            const auto n = work.back();
            work.pop_back();
            for (auto p : from[n])
                if (!nodes[p].mailbox) {
                    nodes[p].mailbox = true;
                    work.push_back(p);
                }
        }
        for (std::size_t n = 0; n < nodes.size(); ++n) {
            // Left without a mailbox: every target is an alias in the same plight, so they loop.
            if (nodes[n].mailbox) continue;
            std::string path = nodes[n].alias->name;
            std::vector<bool> seen(nodes.size());
            for (auto m = n; !seen[m] && !nodes[m].next.empty();) {
                seen[m] = true;
                m = nodes[m].next.front();
                path += " -> " + (nodes[m].domain == nodes[n].domain
                                      ? nodes[m].alias->name
                                      : nodes[m].alias->name + "@" + cfg_.domains[nodes[m].domain].name);
            }
            const auto& ds = src_.domains[nodes[n].domain];
            diag_.error(nodes[n].alias->pos, ds.full("aliases." + key_part(nodes[n].alias->name)),
                        "alias loop: " + path + "; mail to it would reach nobody");
        }
    }
};

}  // namespace

void check_mailboxes(const Config& cfg, const Sources& src, Diagnostics& diag) { Checker(cfg, src, diag).run(); }

}  // namespace mxlab::config::detail
