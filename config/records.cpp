// Each domain's `records` through ldns's zone-file parser, then what the zones teach wrongly.
// What each record parsed into is kept in Domain::records_wire for the zone build.
//
// Errors: a line that is not a record, a record outside its zone, a CNAME that
// is not alone (RFC 1034 section 3.6.2). Warnings (DESIGN.md section 2): a name
// written as if absolute but without its trailing dot (www.sina.com in sina.com
// is www.sina.com.sina.com, RFC 1035 section 5.1), an MX target that is a CNAME
// (RFC 2181 section 10.3), a mail host in our zones without an address.
#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string_view>
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
struct BufferFree {
    void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
using RrPtr = std::unique_ptr<ldns_rr, RrFree>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfFree>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferFree>;

// Appends a parsed record to Domain::records_wire and says where it is in `rec`.
// Nothing when the RDATA does not fit RDLENGTH: the zone build then parses the
// text itself and says what is wrong.
void keep_wire(const ldns_rr* rr, ldns_buffer* buf, std::vector<std::uint8_t>& out, Record& rec) {
    ldns_buffer_clear(buf);
    if (ldns_rr_rdata2buffer_wire(buf, rr) != LDNS_STATUS_OK) return;
    const std::size_t rdlen = ldns_buffer_position(buf);
    const ldns_rdf* owner = ldns_rr_owner(rr);
    if (!owner || rdlen > 0xFFFF) return;
    const auto type = static_cast<unsigned>(ldns_rr_get_type(rr));
    const auto cls = static_cast<unsigned>(ldns_rr_get_class(rr));
    const std::uint32_t ttl = ldns_rr_ttl(rr);
    const std::uint8_t fixed[10] = {
        static_cast<std::uint8_t>(type >> 8),  static_cast<std::uint8_t>(type),
        static_cast<std::uint8_t>(cls >> 8),   static_cast<std::uint8_t>(cls),
        static_cast<std::uint8_t>(ttl >> 24),  static_cast<std::uint8_t>(ttl >> 16),
        static_cast<std::uint8_t>(ttl >> 8),   static_cast<std::uint8_t>(ttl),
        static_cast<std::uint8_t>(rdlen >> 8), static_cast<std::uint8_t>(rdlen)};
    const std::size_t at = out.size();
    out.insert(out.end(), ldns_rdf_data(owner), ldns_rdf_data(owner) + ldns_rdf_size(owner));
    out.insert(out.end(), fixed, fixed + sizeof fixed);
    out.insert(out.end(), ldns_buffer_begin(buf), ldns_buffer_begin(buf) + rdlen);
    rec.wire_at = static_cast<std::uint32_t>(at);
    rec.wire_len = static_cast<std::uint32_t>(out.size() - at);
}

// A name as config stores names, appended to `out`: lower case, no trailing dot.
// Written here rather than with ldns_rdf2str, whose printf-based output dominated
// a 100,000-record load; bytes outside letters, digits, '-', '_' and '*' are
// escaped as \DDD, as ldns does.
void append_name(std::string& out, const ldns_rdf* d) {
    const auto* p = ldns_rdf_data(d);
    const auto* end = p + ldns_rdf_size(d);
    const std::size_t start = out.size();
    while (p < end && *p != 0) {
        const std::size_t len = *p++;
        if (out.size() > start) out += '.';
        for (std::size_t i = 0; i < len && p < end; ++i, ++p) {
            // ASCII by hand, as the C locale has it: this runs for every byte
            // of every owner, and the <cctype> calls showed in the profile.
            const unsigned char c = *p;
            const bool upper = c >= 'A' && c <= 'Z';
            if (upper || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') {
                out += static_cast<char>(upper ? c + ('a' - 'A') : c);
            } else {
                const unsigned v = *p;
                out += '\\';
                out += static_cast<char>('0' + v / 100);
                out += static_cast<char>('0' + v / 10 % 10);
                out += static_cast<char>('0' + v % 10);
            }
        }
    }
    if (out.size() == start) out += '.';
}

std::string name_of(const ldns_rdf* d) {
    std::string out;
    append_name(out, d);
    return out;
}

// The first four blank-separated words of a line (fewer when it has fewer).
// A plain loop: find_first_of(" \t") calls memchr for every character.
struct Tokens {
    std::array<std::string_view, 4> t;
    std::size_t size = 0;
};
Tokens tokens(std::string_view s) {
    Tokens out;
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    std::size_t i = 0;
    while (out.size < out.t.size()) {
        while (i < s.size() && blank(s[i])) ++i;
        if (i == s.size()) break;
        const std::size_t start = i;
        while (i < s.size() && !blank(s[i])) ++i;
        out.t[out.size++] = s.substr(start, i - start);
    }
    return out;
}

// Whether ldns knows a class or type name. ldns compares the name with each
// one it knows; the records of a large zone ask about the same few names over
// and over, so the last answer is kept.
class NameLookup {
public:
    explicit NameLookup(bool (*known)(const char*)) : known_(known) {}
    bool operator()(std::string_view name) {
        if (!asked_ || name != last_) {
            last_.assign(name);
            answer_ = known_(last_.c_str());
            asked_ = true;
        }
        return answer_;
    }

private:
    bool (*known_)(const char*);
    std::string last_;
    bool answer_ = false, asked_ = false;
};

// ldns says only "could not parse the RR's rdata" for an unknown type; name it instead.
std::string type_problem(std::string_view text, NameLookup& is_class, NameLookup& is_type) {
    const auto [t, n] = tokens(text);  // owner, [ttl], [class], type
    std::size_t i = 1;
    for (int skip = 0; skip < 2 && i < n; ++skip) {
        if (std::isdigit(static_cast<unsigned char>(t[i][0])) || is_class(t[i])) ++i;
        else break;
    }
    if (i >= n || t[i].front() == ';') return {};  // ldns reports the missing type
    if (is_type(t[i])) return {};
    return "unknown record type " + quote(t[i]) + " (A, AAAA, CNAME, MX, NS, TXT, PTR, SRV, CAA, ...)";
}

// The owner and type of each of a domain's records that parsed and lies in
// its zone. Names sit in one string rather than one string each: a large zone
// has as many owners as records, and this is all the checks keep of them.
struct Owners {
    struct Rr {
        std::uint32_t at, len;  // the owner in `names`
        std::uint32_t index;    // in Domain::records
        std::uint16_t type;
    };
    std::string names;  // lower case, no trailing dot, one after another
    std::vector<Rr> rrs;

    std::string_view name(const Rr& r) const { return std::string_view(names).substr(r.at, r.len); }
};

// What the warnings need to know about the records of all zones.
struct Zones {
    std::unordered_map<std::string, std::string> cnames;  // owner -> where: `domain "x" records[2]`
    std::vector<Owners> owners;                           // parallel to domains
    struct Mx {
        std::string target, key;
        SourcePos pos;
    };
    std::vector<Mx> mx;          // every MX target, written or generated
    std::vector<bool> apex_mx;   // parallel to domains: has an MX at the apex in records
    std::vector<bool> valid;     // parallel to domains: its name is a valid zone name
    std::unordered_set<std::string> doubled;  // warned about as missing their trailing dot: no more about them
};

// What a record's type calls a name in its data, for messages.
std::string_view data_name(ldns_rr_type type) {
    switch (type) {
    case LDNS_RR_TYPE_MX: return "the MX host ";
    case LDNS_RR_TYPE_CNAME: return "the CNAME target ";
    case LDNS_RR_TYPE_NS: return "the NS host ";
    case LDNS_RR_TYPE_PTR: return "the PTR target ";
    case LDNS_RR_TYPE_SRV: return "the SRV target ";
    default: return "the name ";
    }
}

class RecordChecker {
public:
    RecordChecker(Config& cfg, const Sources& src, Diagnostics& diag, std::vector<ForeignHost>& foreign)
        : cfg_(cfg), src_(src), diag_(diag), foreign_(foreign), buf_(ldns_buffer_new(512)) {
        z_.apex_mx.resize(cfg.domains.size());
        z_.valid.resize(cfg.domains.size());
        z_.owners.resize(cfg.domains.size());
    }

    void run() {
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i) {
            const auto& d = cfg_.domains[i];
            z_.valid[i] = src_.domains[i].at.contains("name") && domain_problem(d.name, d.mail).empty();
        }
        // Each zone's records may name the others (no_trailing_dot): all known first.
        for (std::size_t i = 0; i < cfg_.domains.size(); ++i)
            if (z_.valid[i]) domain(i);
        generated_mx();
        mx_cnames();
        addresses();
    }

private:
    Config& cfg_;  // written only to keep what the records parsed into (Domain::records_wire)
    const Sources& src_;
    Diagnostics& diag_;
    std::vector<ForeignHost>& foreign_;
    BufferPtr buf_;
    NameLookup is_class_{[](const char* s) { return ldns_get_rr_class_by_name(s) != 0; }};
    NameLookup is_type_{[](const char* s) { return ldns_get_rr_type_by_name(s) != 0; }};
    std::string text_;  // the record being parsed, trimmed
    Zones z_;

    // A name with a CNAME (RFC 1034 section 3.6.2: it must be alone).
    struct CnameOwner {
        int cnames = 0;
        std::size_t cname_at = 0;  // index in records of the (last) CNAME
        bool other = false;
    };

    void domain(std::size_t i) {
        auto& d = cfg_.domains[i];
        const auto& ds = src_.domains[i];
        RdfPtr origin(ldns_dname_new_frm_str((d.name + ".").c_str()));
        if (!origin) return;
        Owners& owners = z_.owners[i];
        owners.rrs.reserve(d.records.size());
        bool any_cname = false;
        for (std::size_t r = 0; r < d.records.size(); ++r) {
            auto& rec = d.records[r];
            // Built only when needed: most of a big zone's records never need a key.
            auto key = [&] { return ds.full("records[" + std::to_string(r + 1) + "]"); };
            auto rr = parse(rec, origin.get(), key);
            if (!rr) continue;
            // The zone build would parse the line with its trailing blanks,
            // which ldns does not always read as this trimmed text (after a
            // quoted string it says "superfluous text"): such a line is left
            // for the build to parse, so that it sees what it always saw.
            if (const char c = rec.text.back(); c != ' ' && c != '\t')
                keep_wire(rr.get(), buf_.get(), d.records_wire, rec);
            const std::size_t at = owners.names.size();
            append_name(owners.names, ldns_rr_owner(rr.get()));
            const std::string_view owner = std::string_view(owners.names).substr(at);
            if (!in_zone(owner, d.name)) {
                diag_.error(rec.pos, key(),
                            std::string(owner) + " is outside the zone " + d.name +
                                " (write names relative to the domain, like \"www\", or ending in \"." + d.name + ".\")");
                owners.names.resize(at);
                continue;
            }
            const auto type = ldns_rr_get_type(rr.get());
            no_trailing_dot(i, owner, "", rec.pos, key);
            for (std::size_t f = 0; f < ldns_rr_rd_count(rr.get()); ++f)
                if (const ldns_rdf* rdf = ldns_rr_rdf(rr.get(), f); ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
                    no_trailing_dot(i, name_of(rdf), data_name(type), rec.pos, key);
            owners.rrs.push_back({static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(owner.size()),
                                  static_cast<std::uint32_t>(r), static_cast<std::uint16_t>(type)});
            if (type == LDNS_RR_TYPE_CNAME) {
                any_cname = true;
                z_.cnames.emplace(owner, key());
            }
            if (type == LDNS_RR_TYPE_MX && ldns_rr_rd_count(rr.get()) == 2) {
                z_.mx.push_back({name_of(ldns_rr_rdf(rr.get(), 1)), key(), rec.pos});
                if (owner == d.name) z_.apex_mx[i] = true;
            }
        }
        if (!any_cname) return;
        // Only the names with a CNAME are looked up by name: in a large zone
        // they are few, and the other owners need no table of their own.
        std::unordered_map<std::string_view, CnameOwner> cname_owners;  // views into owners.names, now final
        for (const Owners::Rr& rr : owners.rrs)
            if (rr.type == LDNS_RR_TYPE_CNAME) cname_owners.try_emplace(owners.name(rr));
        for (const Owners::Rr& rr : owners.rrs) {
            auto o = cname_owners.find(owners.name(rr));
            if (o == cname_owners.end()) continue;
            if (rr.type == LDNS_RR_TYPE_CNAME) {
                ++o->second.cnames;
                o->second.cname_at = rr.index;
            } else {
                o->second.other = true;
            }
        }
        for (const auto& [owner, o] : cname_owners) {
            const auto key = ds.full("records[" + std::to_string(o.cname_at + 1) + "]");
            const auto pos = d.records[o.cname_at].pos;
            if (owner == d.name)
                diag_.error(pos, key, "a CNAME cannot be at the zone's apex (" + d.name + " has SOA and NS records)");
            else if (o.other || o.cnames > 1)
                diag_.error(pos, key,
                            std::string(owner) + " has a CNAME and other records; a CNAME must be the only record of "
                                                 "its name (RFC 1034 section 3.6.2)");
        }
    }

    // A name of zone `i` that ends in the zone's name, or another of ours,
    // followed by the zone again: it was written like an absolute name but
    // without the trailing dot, so the origin was appended (RFC 1035 section
    // 5.1). `what` names the field, empty for the owner.
    template <class Key>
    void no_trailing_dot(std::size_t i, std::string_view name, std::string_view what, SourcePos pos, const Key& key) {
        const std::string& zone = cfg_.domains[i].name;
        if (name.size() <= zone.size() + 1) return;
        const auto written = name.substr(0, name.size() - zone.size() - 1);  // as the record has it
        auto ends_in = [&](const std::string& z) {
            return written == z || (written.size() > z.size() && written.ends_with(z) &&
                                    written[written.size() - z.size() - 1] == '.');
        };
        std::string hint;
        if (written == zone) {
            hint = (what.empty() ? "\"@\" or \"" : "\"") + zone + ".\"";
        } else if (ends_in(zone)) {
            hint = "\"" + std::string(written.substr(0, written.size() - zone.size() - 1)) + "\" or \"" +
                   std::string(written) + ".\"";
        } else {
            bool other = false;
            for (std::size_t j = 0; j < cfg_.domains.size() && !other; ++j) other = z_.valid[j] && ends_in(cfg_.domains[j].name);
            if (!other) return;
            hint = "\"" + std::string(written) + ".\"";
        }
        z_.doubled.emplace(name);
        diag_.warning(pos, key(),
                      std::string(what) + std::string(written) + " has no trailing dot, so it is relative to the zone and means " +
                          std::string(name) + "; write " + hint);
    }

    template <class Key>
    RrPtr parse(const Record& rec, const ldns_rdf* origin, const Key& key) {
        const auto first = rec.text.find_first_not_of(" \t");
        const auto last = rec.text.find_last_not_of(" \t");
        if (first == std::string::npos) text_.clear();
        else text_.assign(rec.text, first, last - first + 1);
        const std::string& text = text_;
        std::string problem;
        if (text.empty()) problem = "is empty";
        else if (std::any_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }))
            problem = "has a line break: write one record per string";
        else if (text[0] == '@' && text.size() > 1 && text[1] != ' ' && text[1] != '\t')
            problem = quote(text) + ": a name cannot start with '@' (\"@\" alone is the domain itself)";
        else if (text[0] == '$') problem = quote(text) + ": directives like $TTL do not belong in records";
        else problem = type_problem(text, is_class_, is_type_);
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

    // Which of `hosts` own an A or AAAA record in one of the zones. Only they are
    // looked up: a set of every record's owner would cost a large zone dearly.
    std::unordered_set<std::string_view> addressed(const std::vector<Zones::Mx>& hosts) const {
        std::unordered_set<std::string_view> wanted, found;
        for (const auto& h : hosts) wanted.insert(h.target);
        for (const Owners& owners : z_.owners)
            for (const Owners::Rr& rr : owners.rrs)
                if (rr.type == LDNS_RR_TYPE_A || rr.type == LDNS_RR_TYPE_AAAA)
                    if (auto w = wanted.find(owners.name(rr)); w != wanted.end()) found.insert(*w);
        return found;
    }

    void addresses() {
        std::vector<Zones::Mx> hosts;
        if (src_.at.contains("appliance.hostname"))
            hosts.push_back({cfg_.appliance.hostname, "appliance.hostname", src_.get("appliance.hostname")});
        hosts.insert(hosts.end(), z_.mx.begin(), z_.mx.end());
        const auto has_address = addressed(hosts);  // views into hosts
        std::set<std::string> said;
        for (const auto& h : hosts) {
            if (z_.cnames.contains(h.target) || z_.doubled.contains(h.target) || !said.insert(h.target).second) continue;
            const Domain* zone = zone_of(h.target);
            if (!zone) {
                if (hostname_problem(h.target).empty()) foreign_.push_back({h.target, h.key, h.pos});
                continue;
            }
            if (has_address.contains(h.target) || generated_address(h.target, *zone)) continue;
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

void check_records(Config& cfg, const Sources& src, Diagnostics& diag, std::vector<ForeignHost>& foreign) {
    RecordChecker(cfg, src, diag, foreign).run();
}

}  // namespace mxlab::config::detail
