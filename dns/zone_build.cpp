// Zone content from the config: generated records (DESIGN.md section 3) plus `records` lines parsed with ldns.
#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/ldns.hpp"
#include "dns/ldns_ptr.hpp"
#include "dns/wire.hpp"
#include "dns/zone_data.hpp"

namespace mxlab::dns {

namespace {

std::string type_name(std::uint16_t type) {
    LdnsString s(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
    return s ? std::string(s.get()) : "TYPE" + std::to_string(type);
}

// Types a zone may not contain: meta and pseudo types (RFC 6895 3.1), and what
// this server has no semantics for (DNSSEC records without signing, DNAME).
std::optional<std::string> refused_type(std::uint16_t type) {
    switch (type) {
        case 0:
        case rrtype::OPT:
        case rrtype::TKEY:
        case rrtype::TSIG:
        case rrtype::IXFR:
        case rrtype::AXFR:
        case rrtype::MAILB:
        case rrtype::MAILA:
        case rrtype::ANY:
            return "is not a record type a zone can hold";
        case rrtype::RRSIG:
        case rrtype::NSEC:
        case rrtype::NSEC3:
        case rrtype::NSEC3PARAM:
            return "is not supported: mxlab does not sign zones";
        case rrtype::DNAME:
            return "is not supported (use CNAME)";
        default:
            return std::nullopt;
    }
}

// Lower-cases the names inside RDATA for the types whose layout we know, so
// that names compare as bytes. False when the RDATA does not hold them.
bool lowercase_rdata_names(std::uint16_t type, std::span<std::uint8_t> rd) {
    const RdataNames layout = rdata_names(type);
    std::size_t pos = layout.prefix;
    for (int i = 0; i < layout.count; ++i) {
        for (;;) {
            if (pos >= rd.size()) return false;
            const std::uint8_t l = rd[pos];
            if (l > max_label || pos + l + 1 > rd.size()) return false;
            for (std::size_t k = pos + 1; k <= pos + l; ++k) rd[k] = ascii_lower(rd[k]);
            pos += l + 1;
            if (l == 0) break;
        }
    }
    return true;
}

std::string host_of(std::span<const std::uint8_t> wire) { return name_to_host(wire); }

std::vector<std::uint8_t> u32s(std::initializer_list<std::uint32_t> values) {
    std::vector<std::uint8_t> out;
    for (std::uint32_t v : values) {
        std::uint8_t b[4];
        put32(b, v);
        out.insert(out.end(), b, b + 4);
    }
    return out;
}

// Appends records to a zone's arena, in written order.
class Records {
public:
    explicit Records(ZoneData& z) : z_(z) {}

    void add(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl,
             std::span<const std::uint8_t> rdata, bool generated) {
        RecordData r;
        r.owner = append(owner);
        r.owner_len = static_cast<std::uint8_t>(owner.size());
        r.rdata = append(rdata);
        r.rdlen = static_cast<std::uint16_t>(rdata.size());
        r.type = type;
        r.ttl = ttl;
        r.seq = static_cast<std::uint32_t>(z_.records.size());
        r.generated = generated;
        z_.records.push_back(r);
    }
    void add(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl,
             std::initializer_list<std::span<const std::uint8_t>> rdata_parts, bool generated) {
        std::vector<std::uint8_t> rd;
        for (auto p : rdata_parts) rd.insert(rd.end(), p.begin(), p.end());
        add(owner, type, ttl, rd, generated);
    }

private:
    std::uint32_t append(std::span<const std::uint8_t> bytes) {
        const auto off = static_cast<std::uint32_t>(z_.bytes.size());
        z_.bytes.insert(z_.bytes.end(), bytes.begin(), bytes.end());
        return off;
    }
    ZoneData& z_;
};

void add_addresses(Records& out, std::span<const std::uint8_t> owner, const config::Config& cfg) {
    for (const config::IpAddr& a : cfg.appliance.addresses) {
        if (a.v6)
            out.add(owner, rrtype::AAAA, cfg.dns.default_ttl, std::span<const std::uint8_t>(a.bytes.data(), 16), true);
        else
            out.add(owner, rrtype::A, cfg.dns.default_ttl, std::span<const std::uint8_t>(a.bytes.data(), 4), true);
    }
}

// The generated records of DESIGN.md section 3.
void generate(const config::Config& cfg, const config::Domain& d, const std::vector<std::uint8_t>& apex,
              const std::vector<std::uint8_t>& host, const std::vector<std::uint8_t>& mx, Records& out) {
    const std::uint32_t ttl = cfg.dns.default_ttl;
    static constexpr std::uint8_t hostmaster[] = {10, 'h', 'o', 's', 't', 'm', 'a', 's', 't', 'e', 'r'};
    out.add(apex, rrtype::SOA, ttl, {host, hostmaster, apex, u32s({0, 3600, 900, 604800, 300})}, true);
    out.add(apex, rrtype::NS, ttl, host, true);
    if (d.mail) {
        static constexpr std::uint8_t pref10[] = {0, 10};
        out.add(apex, rrtype::MX, ttl, {pref10, mx}, true);
        static constexpr std::uint8_t spf[] = {14,  'v', '=', 's', 'p', 'f', '1', ' ',
                                               'm', 'x', ' ', '-', 'a', 'l', 'l'};
        out.add(apex, rrtype::TXT, ttl, spf, true);
    }
    if (name_in_zone(host, apex)) add_addresses(out, host, cfg);
    if (d.mail && mx != host && name_in_zone(mx, apex)) add_addresses(out, mx, cfg);
}

// ldns_rr_new_frm_str allocates and frees about 192 KB of scratch buffers per
// record. When they come from the top of the heap, glibc gives them back to
// the kernel at every free and takes them again at the next call: two brk
// calls and fresh page faults per record, which made a 100,000-record zone
// take seconds. Holding a small block above a free block of that size keeps
// the scratch buffers in the heap's free lists for the whole parse.
class ScratchReserve {
public:
    ScratchReserve() {
        // Blocks below the mmap threshold (one big block would be mapped,
        // not taken from the heap), coalesced into one free block once freed,
        // with room for ldns's three 64 KB buffers and the small allocations
        // that get carved from the same block. The pin has their size, so it
        // comes from where they came from: when they were cut from the top of
        // the heap, it is cut right after them.
        void* blocks[6];
        for (void*& b : blocks) touch(b = std::malloc(block));
        touch(pin_ = std::malloc(block));
        for (void* b : blocks) std::free(b);
    }
    ~ScratchReserve() { std::free(pin_); }
    ScratchReserve(const ScratchReserve&) = delete;
    ScratchReserve& operator=(const ScratchReserve&) = delete;

private:
    // Written through volatile so that the compiler cannot drop the
    // malloc/free pairs as unused.
    static void touch(void* p) {
        if (p) *static_cast<volatile char*>(p) = 0;
    }
    static constexpr std::size_t block = 65600;  // > LDNS_MAX_PACKETLEN + 1, < the mmap threshold
    void* pin_;
};

// Turns `records` lines into records. A loaded config has already parsed
// each line (Domain::records_wire), and parsing was most of a large zone's
// build, so that form is used as it is; a line without it (a Config made by
// hand) is parsed here with ldns, as the loader would have, reusing one buffer.
class RecordParser {
public:
    RecordParser(const std::string& zone, std::vector<std::uint8_t> apex, std::uint32_t default_ttl)
        : origin_(ldns_dname_new_frm_str((zone + ".").c_str())),
          buf_(ldns_buffer_new(512)),
          apex_(std::move(apex)),
          default_ttl_(default_ttl) {}

    // Adds the record, or returns what is wrong with it.
    std::optional<std::string> parse(const config::Domain& d, const config::Record& rec, Records& out) {
        LdnsRr rr;  // set when the text was parsed here
        if (!read_wire(d, rec))
            if (auto err = parse_text(rec.text, rr)) return err;
        if (cls_ != LDNS_RR_CLASS_IN) return "only class IN records are served";
        if (auto why = refused_type(type_)) return type_name(type_) + " " + *why;
        if (!name_in_zone(owner_, apex_)) return name_to_text(owner_) + " is outside the zone";
        if (type_ == rrtype::SOA && owner_ != apex_) return "SOA is only allowed at the apex (@)";
        if (rr)
            if (auto err = encode_rdata(rr.get())) return err;
        if (!lowercase_rdata_names(type_, rdata_)) return "malformed RDATA";
        out.add(owner_, type_, ttl_, rdata_, false);
        return std::nullopt;
    }

private:
    // The record as config/records.cpp wrote it; false when there is none, or
    // when it is not in that form (then the text decides).
    bool read_wire(const config::Domain& d, const config::Record& rec) {
        if (rec.wire_len == 0 || rec.wire_at > d.records_wire.size() ||
            rec.wire_len > d.records_wire.size() - rec.wire_at)
            return false;
        const std::span<const std::uint8_t> w(d.records_wire.data() + rec.wire_at, rec.wire_len);
        const std::size_t n = parse_name(w, 0, name_);  // lower-cased
        if (n == 0 || w.size() < n + 10) return false;
        const std::uint8_t* p = w.data() + n;
        if (w.size() != n + 10 + get16(p + 8)) return false;
        type_ = get16(p);
        cls_ = get16(p + 2);
        ttl_ = get32(p + 4);
        const auto o = name_.wire();
        owner_.assign(o.begin(), o.end());
        rdata_.assign(p + 10, w.data() + w.size());
        return true;
    }

    // Everything but the RDATA, which encode_rdata() adds once the record
    // passed the checks (so that their messages come first, as they always did).
    std::optional<std::string> parse_text(std::string_view text, LdnsRr& rr) {
        if (!scratch_) scratch_.emplace();
        // A leading blank means "same owner as before" in a zone file; each
        // `records` string stands alone, so it is not taken that way.
        while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
        if (text.empty()) return "empty record";
        line_.assign(text);
        ldns_rr* raw = nullptr;
        const ldns_status st = ldns_rr_new_frm_str(&raw, line_.c_str(), default_ttl_, origin_.get(), nullptr);
        rr.reset(raw);
        if (st != LDNS_STATUS_OK || !rr) return std::string(ldns_get_errorstr_by_id(st));
        cls_ = static_cast<std::uint16_t>(ldns_rr_get_class(rr.get()));
        type_ = static_cast<std::uint16_t>(ldns_rr_get_type(rr.get()));
        ttl_ = ldns_rr_ttl(rr.get());
        const ldns_rdf* o = ldns_rr_owner(rr.get());
        owner_.assign(ldns_rdf_data(o), ldns_rdf_data(o) + ldns_rdf_size(o));
        // Length bytes are < 64, never in 'A'..'Z': lower-casing all bytes is safe.
        for (auto& c : owner_) c = ascii_lower(c);
        return std::nullopt;
    }

    std::optional<std::string> encode_rdata(const ldns_rr* rr) {
        ldns_buffer_clear(buf_.get());
        if (ldns_rr_rdata2buffer_wire(buf_.get(), rr) != LDNS_STATUS_OK) return "cannot encode the RDATA";
        const std::size_t n = ldns_buffer_position(buf_.get());
        if (n > 65535) return "RDATA longer than 65535 bytes";
        rdata_.assign(ldns_buffer_begin(buf_.get()), ldns_buffer_begin(buf_.get()) + n);
        return std::nullopt;
    }

    LdnsRdf origin_;
    LdnsBuffer buf_;
    std::optional<ScratchReserve> scratch_;  // made at the first line parsed here; a loaded config needs none
    std::vector<std::uint8_t> apex_;
    std::uint32_t default_ttl_;
    std::string line_;
    Name name_;
    std::uint16_t type_ = 0, cls_ = 0;
    std::uint32_t ttl_ = 0;
    std::vector<std::uint8_t> owner_, rdata_;
};

std::string where(const config::Record& r) {
    std::string s;
    if (r.pos.line > 0) s = "line " + std::to_string(r.pos.line) + ": ";
    return s + "\"" + r.text + "\": ";
}

// Sorts the records into RRsets, applies the replacement rules, removes
// duplicates and checks RFC 1034 3.6.2 / RFC 2181 10.1 (a CNAME is alone at
// its name, and single).
void finalize(ZoneData& z, std::vector<std::string>& errors) {
    const std::size_t n = z.records.size();
    std::string keys;
    std::vector<std::uint32_t> key_at(n + 1);
    for (std::size_t i = 0; i < n; ++i) {
        key_at[i] = static_cast<std::uint32_t>(keys.size());
        append_canonical_key(keys, z.owner(z.records[i]));
    }
    key_at[n] = static_cast<std::uint32_t>(keys.size());
    auto key = [&](std::size_t i) { return std::string_view(keys).substr(key_at[i], key_at[i + 1] - key_at[i]); };
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const int c = key(a).compare(key(b));
        if (c != 0) return c < 0;
        const RecordData& x = z.records[a];
        const RecordData& y = z.records[b];
        return x.type != y.type ? x.type < y.type : x.seq < y.seq;
    });

    struct Group {
        std::uint16_t type;
        std::uint32_t position;  // where the RRset was first written (the generated one it replaces, if any)
        std::size_t begin, end;  // in `kept`
    };
    std::vector<RecordData> out;
    out.reserve(n);
    std::vector<RecordData> kept;
    std::vector<Group> groups;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j < n && key(order[j]) == key(order[i])) ++j;
        const auto owner = z.owner(z.records[order[i]]);
        const bool apex = std::equal(owner.begin(), owner.end(), z.apex.begin(), z.apex.end());
        // An explicit CNAME replaces everything generated at its name (it
        // could not coexist with it), except at the apex.
        bool explicit_cname = false;
        for (std::size_t k = i; k < j; ++k) {
            const RecordData& r = z.records[order[k]];
            explicit_cname |= r.type == rrtype::CNAME && !r.generated && !apex;
        }
        kept.clear();
        groups.clear();
        for (std::size_t a = i; a < j;) {
            std::size_t b = a;
            bool explicit_any = false;
            while (b < j && z.records[order[b]].type == z.records[order[a]].type)
                explicit_any |= !z.records[order[b++]].generated;
            // An explicit RRset replaces the generated one of the same owner and type.
            if (!explicit_any && explicit_cname) {
                a = b;
                continue;
            }
            Group g{z.records[order[a]].type, z.records[order[a]].seq, kept.size(), 0};
            for (std::size_t k = a; k < b; ++k) {
                const RecordData& r = z.records[order[k]];
                if (r.generated == explicit_any) continue;
                const auto rd = z.rdata(r);
                const bool dup = std::any_of(kept.begin() + static_cast<std::ptrdiff_t>(g.begin), kept.end(),
                                             [&](const RecordData& e) {
                                                 const auto erd = z.rdata(e);
                                                 return std::equal(rd.begin(), rd.end(), erd.begin(), erd.end());
                                             });
                if (dup) continue;
                kept.push_back(r);
                kept.back().ttl = kept[g.begin].ttl;  // RFC 2181 5.2: one TTL per RRset; the first written wins
            }
            g.end = kept.size();
            groups.push_back(g);
            a = b;
        }
        // The owner's name only for the messages: a large zone has as many
        // owners as records, and almost never an error.
        auto name = [&] { return host_of(owner); };
        for (const Group& g : groups) {
            if (g.type == rrtype::CNAME && g.end - g.begin > 1)
                errors.push_back("zone " + z.name + ": " + name() + " has more than one CNAME");
            if (g.end - g.begin > 65535)
                errors.push_back("zone " + z.name + ": " + name() + " has more than 65535 " + type_name(g.type) +
                                 " records");
            if (g.type == rrtype::SOA && g.end - g.begin > 1)
                errors.push_back("zone " + z.name + ": more than one SOA record");
        }
        const bool has_cname =
            std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.type == rrtype::CNAME; });
        if (has_cname && groups.size() > 1) {
            // Name the types in written order, as the user wrote them.
            std::vector<Group> written = groups;
            std::sort(written.begin(), written.end(),
                      [](const Group& a, const Group& b) { return a.position < b.position; });
            std::string others;
            for (const Group& g : written)
                if (g.type != rrtype::CNAME) others += (others.empty() ? "" : ", ") + type_name(g.type);
            errors.push_back("zone " + z.name + ": " + name() + " has CNAME and other data (" + others +
                             "); a CNAME must be the only record at its name");
        }
        // The SOA first, then the RRsets in written order.
        std::sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
            if ((a.type == rrtype::SOA) != (b.type == rrtype::SOA)) return a.type == rrtype::SOA;
            return a.position < b.position;
        });
        for (const Group& g : groups)
            out.insert(out.end(), kept.begin() + static_cast<std::ptrdiff_t>(g.begin),
                       kept.begin() + static_cast<std::ptrdiff_t>(g.end));
        i = j;
    }
    z.records = std::move(out);
}

}  // namespace

std::vector<ZoneData> zones_from_config(const config::Config& cfg, std::vector<std::string>& errors) {
    std::vector<ZoneData> zones;
    std::set<std::vector<std::uint8_t>> seen;
    const auto host = name_from_text(cfg.appliance.hostname);
    if (!host || host->size() <= 1) {
        errors.push_back("appliance.hostname \"" + cfg.appliance.hostname + "\" is not a domain name");
        return zones;
    }
    for (const config::Domain& d : cfg.domains) {
        ZoneData z;
        z.name = d.name;
        const auto apex = name_from_text(d.name);
        if (!apex || apex->size() <= 1) {
            errors.push_back("zone " + d.name + ": not a domain name");
            continue;
        }
        z.apex = *apex;
        z.name = host_of(z.apex);
        if (!seen.insert(z.apex).second) {
            errors.push_back("zone " + z.name + ": defined twice");
            continue;
        }
        const auto mx = name_from_text(d.mx.empty() ? cfg.appliance.hostname : d.mx);
        if (!mx) {
            errors.push_back("zone " + z.name + ": mx \"" + d.mx + "\" is not a domain name");
            continue;
        }
        const std::size_t errors_before = errors.size();
        z.records.reserve(d.records.size() + 8);
        z.bytes.reserve(d.records.size() * 32 + 256);
        Records records(z);
        generate(cfg, d, z.apex, *host, *mx, records);
        RecordParser parser(z.name, z.apex, cfg.dns.default_ttl);
        for (const config::Record& rec : d.records)
            if (auto err = parser.parse(d, rec, records))
                errors.push_back("zone " + z.name + ": " + where(rec) + *err);
        if (errors.size() != errors_before) continue;
        finalize(z, errors);
        if (errors.size() != errors_before) continue;
        z.content_hash = content_hash(z);
        zones.push_back(std::move(z));
    }
    return zones;
}

namespace {

constexpr std::uint64_t fnv_offset = 0xCBF29CE484222325ull;
constexpr std::uint64_t fnv_prime = 0x100000001B3ull;

void fnv(std::uint64_t& h, std::span<const std::uint8_t> bytes) {
    for (std::uint8_t b : bytes) h = (h ^ b) * fnv_prime;
}
void fnv16(std::uint64_t& h, std::uint16_t v) {
    std::uint8_t b[2];
    put16(b, v);
    fnv(h, b);
}
void fnv32(std::uint64_t& h, std::uint32_t v) {
    std::uint8_t b[4];
    put32(b, v);
    fnv(h, b);
}

std::size_t soa_serial_offset(std::span<const std::uint8_t> rd) {
    const std::size_t m = wire_name_length(rd.data());
    return m + wire_name_length(rd.data() + m);
}

}  // namespace

std::uint64_t content_hash(const ZoneData& z) {
    // Records are grouped by owner in canonical order; hash each owner's
    // RRsets by type, and each RRset's RDATA sorted, so that only content counts.
    std::uint64_t h = fnv_offset;
    std::vector<std::pair<std::uint16_t, std::size_t>> sets;  // (type, first record)
    std::vector<std::vector<std::uint8_t>> rds;
    const std::size_t n = z.records.size();
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        sets.clear();
        const auto owner = z.owner(z.records[i]);
        while (j < n && std::ranges::equal(z.owner(z.records[j]), owner)) {
            if (j == i || !z.same_rrset(z.records[j - 1], z.records[j])) sets.emplace_back(z.records[j].type, j);
            ++j;
        }
        std::sort(sets.begin(), sets.end());
        fnv(h, owner);
        for (const auto& [type, first] : sets) {
            std::size_t end = first;
            while (end < j && z.records[end].type == type) ++end;
            fnv16(h, type);
            fnv32(h, z.records[first].ttl);
            fnv32(h, static_cast<std::uint32_t>(end - first));
            if (end - first == 1 && type != rrtype::SOA) {  // the common case, without copies
                fnv16(h, z.records[first].rdlen);
                fnv(h, z.rdata(z.records[first]));
                continue;
            }
            rds.clear();
            for (std::size_t k = first; k < end; ++k) {
                const auto rd = z.rdata(z.records[k]);
                rds.emplace_back(rd.begin(), rd.end());
                if (type == rrtype::SOA)
                    std::fill_n(rds.back().begin() + static_cast<std::ptrdiff_t>(soa_serial_offset(rd)), 4, 0);
            }
            std::sort(rds.begin(), rds.end());
            for (const auto& rd : rds) {
                fnv16(h, static_cast<std::uint16_t>(rd.size()));
                fnv(h, rd);
            }
        }
        i = j;
    }
    return h;
}

void set_serial(ZoneData& zone, std::uint32_t serial) {
    for (const RecordData& r : zone.records)
        if (r.type == rrtype::SOA) {
            const auto rd = zone.rdata(r);
            put32(rd.data() + soa_serial_offset(rd), serial);
        }
}

}  // namespace mxlab::dns
