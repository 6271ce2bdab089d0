// The mail directory: users, aliases, lists and catch-alls of every [[domain]] with mail = true, for SMTP recipients, logins and sender checks.
//
// An immutable snapshot of one Config (reload builds a new one and swaps the
// shared_ptr). Domains and local parts match case-insensitively (DESIGN.md
// section 3); a user's canonical address is "local@domain" in lower case, the
// key the store uses.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"

namespace mxlab::auth {

struct Recipient {
    enum class Kind {
        unknown,  // a local domain without such a user, alias, list or catch-all: 550 5.1.1
        local,    // delivered here (users), maybe with remote list members too (remote)
        remote,   // the domain is not ours: the relay policy decides
    };
    Kind kind = Kind::unknown;
    std::vector<std::string> users;   // canonical addresses, each once, in first-seen order
    // Addresses outside our domains, domain lower case, each once: alias/list
    // targets, or for kind remote the recipient itself.
    std::vector<std::string> remote;
};

class Directory {
public:
    explicit Directory(const config::Config& cfg);

    // A [[domain]] with mail = true (case-insensitive, no trailing dot).
    bool is_local_domain(std::string_view domain) const;

    // An envelope recipient "local@domain". A user maps to itself; an alias or a
    // list expands recursively (a loop or a depth past 10 stops that branch);
    // an unknown local part of a local domain goes to the domain's catch_all
    // (itself resolved like a recipient) when set. A local alias whose every
    // target is remote gives kind local with no users and the remote targets.
    Recipient resolve(std::string_view address) const;

    // A login name: a full address, or a bare local part that exactly one
    // domain has as a user. The user's canonical address, or nullopt.
    std::optional<std::string> find_login(std::string_view login) const;

    // The canonical address when `password` is the user's (auth/password.hpp;
    // costs one hash, a few milliseconds for SHA512-CRYPT), else nullopt.
    std::optional<std::string> authenticate(std::string_view login, std::string_view password) const;

    // Whether the authenticated `user` (canonical) may send with MAIL FROM
    // `address` on submission: its own address, or an alias (a string, not a
    // list) of a local domain that resolves to it (DESIGN.md section 5, 553 5.7.1).
    bool may_send_as(std::string_view user, std::string_view address) const;

    // Every user's canonical address, sorted.
    std::vector<std::string> users() const;

    // What an unknown login's password is checked against (see decoy_); for tests.
    const std::string& decoy() const { return decoy_; }
    // What authenticate(login, ...) costs in auth::verify_cost units: the same
    // for every login, known or not, whatever its hash; for tests.
    double check_cost(std::string_view login) const;

private:
    // What a canonical address names. A snapshot: nothing changes after construction.
    struct Entry {
        enum class Kind { user, alias, list } kind = Kind::user;
        std::string password;              // users: as in the TOML
        std::vector<std::string> targets;  // aliases and lists: canonical when local, domain lower case when not
    };
    struct Expansion;

    const Entry* find(const std::string& canonical) const;
    void expand(const std::string& address, int depth, bool catch_all, Expansion& out) const;
    void make_decoy_from_users();
    // Whether a check of `stored` is followed by one of the decoy, to cost as much.
    bool pays_decoy(const std::string* stored) const;

    std::unordered_map<std::string, Entry> names_;                         // "local@domain", lower case
    std::unordered_map<std::string, std::string> domains_;                 // mail domain -> its catch-all's address or ""
    std::unordered_map<std::string, std::vector<std::string>> by_local_;  // user local part -> their addresses
    // Checked (and ignored) for an unknown login, so that a wrong address
    // costs what a wrong password of the slowest user's hash costs: the
    // answer's timing does not tell which logins exist. Made at construction
    // from the costliest of the users' hashes (auth::make_decoy): the first
    // user's would do only while every user has the same scheme and rounds,
    // and in the lab's TOML the first user's password is plain text.
    // Empty when there are no users.
    std::string decoy_;
    double decoy_cost_ = 0;  // verify_cost(decoy_)
};

}  // namespace mxlab::auth
