// The mail directory: a case-folded index of the users, aliases, lists and catch-alls of the mail domains.
#include "mail/auth/directory.hpp"

#include <algorithm>
#include <unordered_set>

#include "core/ascii.hpp"
#include "mail/auth/password.hpp"

namespace mxlab::auth {

namespace {


// Depth past which alias expansion stops a branch. Loops stop earlier (each
// address is expanded once); this bounds the work a long chain can cause.
constexpr int max_depth = 10;

std::string normalize_domain(std::string_view d) {
    if (d.size() > 1 && d.back() == '.') d.remove_suffix(1);
    return lower(d);
}

struct Address {
    std::string_view local;
    std::string_view domain;
};

// At the last '@': a quoted local part may itself contain one.
std::optional<Address> split(std::string_view address) {
    const auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return std::nullopt;
    return Address{address.substr(0, at), address.substr(at + 1)};
}

void add_once(std::vector<std::string>& to, std::unordered_set<std::string>& seen, const std::string& s) {
    if (seen.insert(s).second) to.push_back(s);
}

}  // namespace

struct Directory::Expansion {
    std::vector<std::string> users;
    std::vector<std::string> remote;
    std::unordered_set<std::string> seen;         // users and aliases already expanded
    std::unordered_set<std::string> remote_seen;
};

Directory::Directory(const config::Config& cfg) {
    // Domains first: a target's case rule depends on whether its domain is ours.
    for (const auto& d : cfg.domains)
        if (d.mail) domains_.emplace(normalize_domain(d.name), std::string{});

    for (const auto& d : cfg.domains) {
        if (!d.mail) continue;
        const auto domain = normalize_domain(d.name);
        const auto at_domain = "@" + domain;
        // emplace keeps the first of two clashing names; config validation rejects such files anyway.
        for (const auto& u : d.users) {
            const auto local = lower(u.name);
            if (names_.emplace(local + at_domain, Entry{Entry::Kind::user, u.password, {}}).second)
                by_local_[local].push_back(local + at_domain);
        }
        for (const auto& a : d.aliases) {
            Entry e{a.is_list ? Entry::Kind::list : Entry::Kind::alias, {}, {}};
            for (const auto& t : a.targets) {
                if (t.empty()) continue;
                const auto parts = split(t);
                if (!parts) {
                    e.targets.push_back(lower(t) + at_domain);
                    continue;
                }
                const auto tdomain = normalize_domain(parts->domain);
                // Another server's local part may be case-sensitive (RFC 5321 section 2.4): keep it as written.
                e.targets.push_back((domains_.contains(tdomain) ? lower(parts->local) : std::string(parts->local)) +
                                    "@" + tdomain);
            }
            names_.emplace(lower(a.name) + at_domain, std::move(e));
        }
        if (auto& catch_all = domains_[domain]; catch_all.empty() && !d.catch_all.empty())
            catch_all = lower(d.catch_all) + at_domain;
    }
    make_decoy_from_users();
}

void Directory::make_decoy_from_users() {
    std::vector<std::pair<double, const std::string*>> by_cost;
    for (const auto& [address, e] : names_)
        if (e.kind == Entry::Kind::user) by_cost.emplace_back(verify_cost(e.password), &e.password);
    // Costliest first; ties by value, so that which one is chosen does not depend on hashing order.
    std::sort(by_cost.begin(), by_cost.end(),
              [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : *a.second < *b.second; });
    // One hash in the usual case; the next one only when a malformed hash refuses to be a decoy.
    for (const auto& [cost, stored] : by_cost)
        if (auto d = make_decoy(*stored)) {
            decoy_ = std::move(*d);
            decoy_cost_ = verify_cost(decoy_);
            return;
        }
}

bool Directory::is_local_domain(std::string_view domain) const { return domains_.contains(normalize_domain(domain)); }

const Directory::Entry* Directory::find(const std::string& canonical) const {
    const auto it = names_.find(canonical);
    return it == names_.end() ? nullptr : &it->second;
}

// `address` is canonical when its domain is ours, as stored otherwise.
void Directory::expand(const std::string& address, int depth, bool catch_all, Expansion& out) const {
    if (depth > max_depth) return;
    const auto parts = split(address);
    if (!parts) return;
    const auto domain = domains_.find(std::string(parts->domain));
    if (domain == domains_.end()) {
        add_once(out.remote, out.remote_seen, address);
        return;
    }
    const auto* entry = find(address);
    if (!entry) {
        // Only once per lookup, so a catch-all naming nobody cannot recurse.
        if (catch_all && !domain->second.empty()) expand(domain->second, depth, false, out);
        return;
    }
    if (!out.seen.insert(address).second) return;  // a loop, or a user reached twice
    if (entry->kind == Entry::Kind::user) {
        out.users.push_back(address);
        return;
    }
    for (const auto& t : entry->targets) expand(t, depth + 1, true, out);
}

Recipient Directory::resolve(std::string_view address) const {
    Recipient r;
    const auto parts = split(address);
    if (!parts) return r;
    const auto domain = normalize_domain(parts->domain);
    if (!domains_.contains(domain)) {
        r.kind = Recipient::Kind::remote;
        r.remote.push_back(std::string(parts->local) + "@" + domain);
        return r;
    }
    Expansion e;
    expand(lower(parts->local) + "@" + domain, 0, true, e);
    // A name whose every branch was cut (a loop that validation missed) delivers nowhere: treat as unknown.
    if (!e.users.empty() || !e.remote.empty()) r.kind = Recipient::Kind::local;
    r.users = std::move(e.users);
    r.remote = std::move(e.remote);
    return r;
}

std::optional<std::string> Directory::find_login(std::string_view login) const {
    if (login.find('@') == std::string_view::npos) {
        const auto it = by_local_.find(lower(login));
        if (it == by_local_.end() || it->second.size() != 1) return std::nullopt;
        return it->second.front();
    }
    const auto parts = split(login);
    if (!parts) return std::nullopt;
    auto canonical = lower(parts->local) + "@" + normalize_domain(parts->domain);
    const auto* e = find(canonical);
    if (!e || e->kind != Entry::Kind::user) return std::nullopt;
    return canonical;
}

// An unknown login is checked against the decoy alone; a user whose hash
// costs less than half the decoy (plain text beside crypt hashes, as in the
// lab) against the decoy too. Every answer then costs what the decoy does,
// exactly so where the users' hashes are of at most two costs; with more, an
// answer is off by at most half the decoy's cost.
bool Directory::pays_decoy(const std::string* stored) const {
    return !decoy_.empty() && (!stored || verify_cost(*stored) < decoy_cost_ / 2);
}

std::optional<std::string> Directory::authenticate(std::string_view login, std::string_view password) const {
    auto canonical = find_login(login);
    const std::string* stored = canonical ? &find(*canonical)->password : nullptr;
    const bool ok = stored && verify_password(*stored, password);
    if (pays_decoy(stored)) (void)verify_password(decoy_, password);
    if (!ok) return std::nullopt;
    return canonical;
}

double Directory::check_cost(std::string_view login) const {
    auto canonical = find_login(login);
    const std::string* stored = canonical ? &find(*canonical)->password : nullptr;
    return (stored ? verify_cost(*stored) : 0) + (pays_decoy(stored) ? decoy_cost_ : 0);
}

bool Directory::may_send_as(std::string_view user, std::string_view address) const {
    const auto u = lower(user);
    const auto* self = find(u);
    if (!self || self->kind != Entry::Kind::user) return false;  // e.g. dropped from the TOML by a reload
    const auto parts = split(address);
    if (!parts) return false;
    const auto canonical = lower(parts->local) + "@" + normalize_domain(parts->domain);
    if (canonical == u) return true;
    const auto* e = find(canonical);
    if (!e || e->kind != Entry::Kind::alias) return false;
    // The alias must lead to this user alone: an alias of a list is a list in disguise.
    Expansion x;
    expand(canonical, 0, false, x);
    return x.remote.empty() && x.users.size() == 1 && x.users.front() == u;
}

std::vector<std::string> Directory::users() const {
    std::vector<std::string> out;
    for (const auto& [address, e] : names_)
        if (e.kind == Entry::Kind::user) out.push_back(address);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace mxlab::auth
