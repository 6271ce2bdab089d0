// Each domain's `records` through ldns's zone-file parser, then what the zones teach wrongly.
//
// Errors: a line that is not a record, a record outside its zone, a CNAME that
// is not alone (RFC 1034 section 3.6.2). Warnings (DESIGN.md section 2): an MX
// target that is a CNAME (RFC 2181 section 10.3), a mail host in our zones
// without an address.
#include <cctype>
#include <cstdlib>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "config/detail.hpp"
#include "core/ldns.hpp"

namespace mxlab::config::detail {

namespace {

struct RrFree {
    void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct RdfFree {
    void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;

// A name as config stores names: lower case, no trailing dot. Written here rather
// than with ldns_rdf2str, whose printf-based output dominated a 100,000-record load;
// bytes outside letters, digits, '-', '_' and '*' are escaped as \DDD, as ldns does.
std::string name_of(const ldns_rdf* d) {
    const auto* p = ldns_rdf_data(d);
    const auto* end = p + ldns_rdf_size(d);
    std::string out;
    out.reserve(ldns_rdf_size(d));
    while (p < end && *p != 0) {
        const std::size_t len = *p++;
        if (!out.empty()) out += '.';
        for (std::size_t i = 0; i < len && p < end; ++i, ++p) {
            const auto c = static_cast<char>(*p);
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '*') {
                out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            } else {
                const unsigned v = *p;
                out += '\\';
                out += static_cast<char>('0' + v / 100);
                out += static_cast<char>('0' + v / 10 % 10);
                out += static_cast<char>('0' + v % 10);
            }
        }
    }
    return out.empty() ? "." : out;
}

// The first `max` blank-separated words of a line.
std::vector<std::string_view> tokens(std::string_view s, std::size_t max) {
    std::vector<std::string_view> out;
    for (std::size_t i = 0; i < s.size() && out.size() < max;) {
        const auto start = s.find_first_not_of(" \t", i);
        if (start == std::string_view::npos) break;
        const auto end = std::min(s.find_first_of(" \t", start), s.size());
        out.push_back(s.substr(start, end - start));
        i = end;
    }
    return out;
}

// ldns says only "could not parse the RR's rdata" for an unknown type; name it instead.
std::string type_problem(std::string_view text) {
    const auto t = tokens(text, 4);  // owner, [ttl], [class], type
    std::size_t i = 1;
    for (int skip = 0; skip < 2 && i < t.size(); ++skip) {
        const std::string tok(t[i]);
        if (std::isdigit(static_cast<unsigned char>(tok[0])) || ldns_get_rr_class_by_name(tok.c_str()) != 0) ++i;
        else break;
    }
    if (i >= t.size() || t[i].front() == ';') return {};  // ldns reports the missing type
    if (ldns_get_rr_type_by_name(std::string(t[i]).c_str()) != 0) return {};
    return "unknown record type " + quote(t[i]) + " (A, AAAA, CNAME, MX, NS, TXT, PTR, SRV, CAA, ...)";
}

// What the warnings need to know about the records of all zones.
struct Zones {
    std::unordered_map<std::string, std::string> cnames;  // owner -> where: `domain "x" records[2]`
    std::unordered_set<std::string> addressed;            // owners of A/AAAA records
    struct Mx {
        std::string target, key;
        SourcePos pos;
    };
    std::vector<Mx> mx;          // every MX target, written or generated
    std::vector<bool> apex_mx;   // parallel to domains: has an MX at the apex in records
    std::vector<bool> valid;     // parallel to domains: its name is a valid zone name
};

class RecordChecker {
public:
    RecordChecker(const Config& cfg, const Sources& src, Diagnostics& diag) : cfg_(cfg), src_(src), diag_(diag) {
        z_.apex_mx.resize(cfg.domains.size());
        z_.valid.resize(cfg.domains.size());
    }

    void run() {
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i) {
            const auto& d = cfg_.domains[i];
            z_.valid[i] = src_.domains[i].at.contains("name") && domain_problem(d.name, d.mail).empty();
            if (z_.valid[i]) domain(i);
        }
        generated_mx();
        mx_cnames();
        addresses();
    }

private:
    const Config& cfg_;
    const Sources& src_;
    Diagnostics& diag_;
    Zones z_;

    struct Owner {
        int cnames = 0;
        std::size_t cname_at = 0;  // index in records of the (last) CNAME
        bool other = false;
    };

    void domain(std::size_t i) {
        const auto& d = cfg_.domains[i];
        const auto& ds = src_.domains[i];
        RdfPtr origin(ldns_dname_new_frm_str((d.name + ".").c_str()));
        if (!origin) return;
        std::unordered_map<std::string, Owner> owners;
        owners.reserve(d.records.size());
        for (std::size_t r = 0; r < d.records.size(); ++r) {
            const auto& rec = d.records[r];
            // Built only when needed: most of a big zone's records never need a key.
            auto key = [&] { return ds.full("records[" + std::to_string(r + 1) + "]"); };
            auto rr = parse(rec, origin.get(), key);
            if (!rr) continue;
            const auto owner = name_of(ldns_rr_owner(rr.get()));
            if (!in_zone(owner, d.name)) {
                diag_.error(rec.pos, key(),
                            owner + " is outside the zone " + d.name +
                                " (write names relative to the domain, like \"www\", or ending in \"." + d.name + ".\")");
                continue;
            }
            const auto type = ldns_rr_get_type(rr.get());
            auto& o = owners[owner];
            if (type == LDNS_RR_TYPE_CNAME) {
                ++o.cnames;
                o.cname_at = r;
                z_.cnames.emplace(owner, key());
            } else {
                o.other = true;
            }
            if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA) z_.addressed.insert(owner);
            if (type == LDNS_RR_TYPE_MX && ldns_rr_rd_count(rr.get()) == 2) {
                z_.mx.push_back({name_of(ldns_rr_rdf(rr.get(), 1)), key(), rec.pos});
                if (owner == d.name) z_.apex_mx[i] = true;
            }
        }
        for (const auto& [owner, o] : owners) {
            if (o.cnames == 0) continue;
            const auto key = ds.full("records[" + std::to_string(o.cname_at + 1) + "]");
            const auto pos = d.records[o.cname_at].pos;
            if (owner == d.name)
                diag_.error(pos, key, "a CNAME cannot be at the zone's apex (" + d.name + " has SOA and NS records)");
            else if (o.other || o.cnames > 1)
                diag_.error(pos, key,
                            owner + " has a CNAME and other records; a CNAME must be the only record of its name "
                                    "(RFC 1034 section 3.6.2)");
        }
    }

    template <class Key>
    RrPtr parse(const Record& rec, const ldns_rdf* origin, const Key& key) {
        const auto first = rec.text.find_first_not_of(" \t");
        const auto last = rec.text.find_last_not_of(" \t");
        const std::string text = first == std::string::npos ? "" : rec.text.substr(first, last - first + 1);
        std::string problem;
        if (text.empty()) problem = "is empty";
        else if (text.find_first_of("\r\n") != std::string::npos) problem = "has a line break: write one record per string";
        else if (text[0] == '@' && text.size() > 1 && text[1] != ' ' && text[1] != '\t')
            problem = quote(text) + ": a name cannot start with '@' (\"@\" alone is the domain itself)";
        else if (text[0] == '$') problem = quote(text) + ": directives like $TTL do not belong in records";
        else problem = type_problem(text);
        if (!problem.empty()) {
            diag_.error(rec.pos, key(), problem);
            return nullptr;
        }
        ldns_rr* raw = nullptr;
        const auto status = ldns_rr_new_frm_str(&raw, text.c_str(), cfg_.dns.default_ttl, origin, nullptr);
        RrPtr rr(raw);
        if (status != LDNS_STATUS_OK) {
            diag_.error(rec.pos, key(), quote(text) + " is not a zone-file record: " + ldns_get_errorstr_by_id(status));
            return nullptr;
        }
        if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN) {
            diag_.error(rec.pos, key(), quote(text) + ": only class IN is served");
            return nullptr;
        }
        return rr;
    }

    // The MX each mail domain gets when its records do not name one.
    void generated_mx() {
        const bool have_host = src_.at.contains("appliance.hostname");
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i) {
            const auto& d = cfg_.domains[i];
            if (!d.mail || !z_.valid[i] || z_.apex_mx[i] || d.mx.empty()) continue;
            const auto& ds = src_.domains[i];
            if (ds.at.contains("mx")) z_.mx.push_back({d.mx, ds.full("mx"), ds.get("mx")});
            else if (have_host) z_.mx.push_back({d.mx, "appliance.hostname", src_.get("appliance.hostname")});
        }
    }

    void mx_cnames() {
        std::set<std::pair<std::string, std::string>> said;  // (key, target): the hostname may serve many domains
        for (const auto& m : z_.mx) {
            auto c = z_.cnames.find(m.target);
            if (c == z_.cnames.end() || !said.emplace(m.key, m.target).second) continue;
            diag_.warning(m.pos, m.key,
                          "the MX target " + m.target + " is a CNAME (" + c->second +
                              "); RFC 2181 section 10.3: an MX must name a host with its own A/AAAA record");
        }
    }

    // The zone a name is answered from: the deepest of ours that contains it.
    const Domain* zone_of(const std::string& name) const {
        const Domain* best = nullptr;
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i) {
            const auto& d = cfg_.domains[i];
            if (z_.valid[i] && in_zone(name, d.name) && (!best || d.name.size() > best->name.size())) best = &d;
        }
        return best;
    }

    // Generated A/AAAA (DESIGN.md section 3): the hostname in every zone it lies in,
    // a mail domain's mx in its own zone, both only when there are addresses.
    bool generated_address(const std::string& host, const Domain& zone) const {
        if (cfg_.appliance.addresses.empty()) return false;
        return host == cfg_.appliance.hostname || (zone.mail && host == zone.mx);
    }

    void addresses() {
        std::vector<Zones::Mx> hosts;
        if (src_.at.contains("appliance.hostname"))
            hosts.push_back({cfg_.appliance.hostname, "appliance.hostname", src_.get("appliance.hostname")});
        hosts.insert(hosts.end(), z_.mx.begin(), z_.mx.end());
        std::set<std::string> said;
        for (const auto& h : hosts) {
            if (z_.cnames.contains(h.target) || !said.insert(h.target).second) continue;
            const Domain* zone = zone_of(h.target);
            if (!zone || z_.addressed.contains(h.target) || generated_address(h.target, *zone)) continue;
            std::string hint = "add a record to " + zone->name + "'s records, like \"" +
                               h.target.substr(0, h.target.size() - std::min(h.target.size(), zone->name.size() + 1)) +
                               " A 10.0.1.10\"";
            if (h.target == zone->name) hint = "add a record to " + zone->name + "'s records, like \"@ A 10.0.1.10\"";
            if (h.target == cfg_.appliance.hostname)
                hint += cfg_.appliance.addresses_from_interfaces
                            ? ", or set appliance.addresses (this machine has no usable interface address)"
                            : ", or list this appliance's address in appliance.addresses";
            diag_.warning(h.pos, h.key,
                          "the mail host " + h.target + " has no address in the zone " + zone->name +
                              ": other servers cannot deliver to it; " + hint);
        }
    }
};

}  // namespace

void check_records(const Config& cfg, const Sources& src, Diagnostics& diag) { RecordChecker(cfg, src, diag).run(); }

}  // namespace mxlab::config::detail
