// What load.cpp hands to the checks: where each value was written, and the diagnostics so far.
// Private to config/.
#pragma once

#include <map>

#include "core/ascii.hpp"
#include "config/config.hpp"

namespace mxlab::config::detail {

using PosMap = std::map<std::string, SourcePos, std::less<>>;

// Positions of the values the loader saw, by the key used in diagnostics.
// A [[domain]] keeps its own map, keyed within it ("mx", "users.Bob",
// "aliases.staff[2]"), so two domains with the same name do not collide.
struct DomainSources {
    std::string key;  // `domain "sina.com"` or `domain #2`
    SourcePos table;  // the [[domain]] header
    PosMap at;

    std::string full(std::string_view rel) const { return key + " " + std::string(rel); }
    SourcePos get(std::string_view rel) const;
};

struct Sources {
    PosMap at;  // "appliance.hostname", "ports.smtp", "dns.resolvers[1]", also tables: "ports"
    std::vector<DomainSources> domains;  // parallel to Config::domains

    SourcePos get(std::string_view key) const;
};

class Diagnostics {
public:
    void error(SourcePos pos, std::string key, std::string message);
    void warning(SourcePos pos, std::string key, std::string message);
    bool has_errors() const { return errors_ > 0; }
    std::vector<Diagnostic> take();  // sorted by position, the file read top to bottom

private:
    std::vector<Diagnostic> list_;
    int errors_ = 0;
};

// Semantic checks of a loaded Config (validate.cpp, records.cpp); they change
// nothing but what check_records keeps of the parsed records. `foreign` gets
// the mail hosts outside every zone here.
void validate(Config& cfg, const Sources& src, Diagnostics& diag, std::vector<ForeignHost>& foreign);
// Users, passwords, aliases and catch-alls of the mail domains (mailboxes.cpp).
void check_mailboxes(const Config& cfg, const Sources& src, Diagnostics& diag);
// The `records` of every domain through ldns, then the DNS-side warnings.
// Keeps what each record parsed into (Domain::records_wire, Record::wire_at/len),
// and lists the hostname and MX hosts that lie outside every zone in `foreign`.
void check_records(Config& cfg, const Sources& src, Diagnostics& diag, std::vector<ForeignHost>& foreign);

// The opening quote of the first string, at or before `stop` (where toml++
// gave up), that is never closed: on its line for "..." and '...', before the
// end of the text for triple quotes, whose quote goes to `closing`
// (toml_syntax.cpp). toml++ reports such a string where it ran into the line
// break, as a control character in a string.
std::optional<SourcePos> unclosed_string(std::string_view text, SourcePos stop, std::string& closing);

// Names (names.cpp). Names are compared in ASCII lower case (lower() and
// iequals() of ascii.hpp), as DNS and mail do.
// "Bob" stays Bob; anything that is not a bare TOML key is quoted: "a.b" -> "\"a.b\"".
std::string key_part(std::string_view name);
// `s` as a TOML basic string, with quotes and escapes, for messages.
std::string quote(std::string_view s);
// Lower case with one trailing dot removed: how host and domain names are stored.
std::string normalize_name(std::string_view name);
// Empty when `name` is a valid host name (LDH labels, at least two); else what is wrong.
std::string hostname_problem(std::string_view name);
// Same for a zone name; reverse zones (in-addr.arpa, ip6.arpa) have their own label rules.
std::string domain_problem(std::string_view name, bool mail);
// Empty when `local` is a valid local part (RFC 5321 dot-atom, UTF-8 allowed).
std::string local_part_problem(std::string_view local);
// True when `name` is `zone` or lies below it (both normalized).
bool in_zone(std::string_view name, std::string_view zone);

}  // namespace mxlab::config::detail
