// Shared helpers for the DNS unit tests (see dns_test_util.hpp).
#include "dns_test_util.hpp"

#include <cstdlib>

#include "core/ldns.hpp"
#include "dns/wire.hpp"

namespace mxlab::dns::test {

config::IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    config::IpAddr ip;
    ip.bytes[0] = a;
    ip.bytes[1] = b;
    ip.bytes[2] = c;
    ip.bytes[3] = d;
    return ip;
}

// fd00::X as v6({0xfd00, X}): first group, then last group.
config::IpAddr v6(std::initializer_list<std::uint16_t> g) {
    config::IpAddr ip;
    ip.v6 = true;
    const std::uint16_t first = *g.begin();
    const std::uint16_t last = *(g.end() - 1);
    ip.bytes[0] = static_cast<std::uint8_t>(first >> 8);
    ip.bytes[1] = static_cast<std::uint8_t>(first);
    ip.bytes[14] = static_cast<std::uint8_t>(last >> 8);
    ip.bytes[15] = static_cast<std::uint8_t>(last);
    return ip;
}

config::Config lab_config() {
    config::Config c;
    c.appliance.hostname = "mail.sina.com";
    c.appliance.addresses = {v4(10, 0, 1, 10), v6({0xfd00, 0x10})};
    c.dns.default_ttl = 3600;
    config::Cidr local;
    local.addr = v4(127, 0, 0, 1);
    local.prefix = 32;
    c.dns.allow_transfer = {local};

    config::Domain sina;
    sina.name = "sina.com";
    sina.mail = true;
    sina.mx = "mail.sina.com";
    std::vector<std::string> recs = {
        "@ CAA 0 issue \"letsencrypt.org\"",
        "www A 10.0.1.20",
        "www AAAA fd00::20",
        "ftp CNAME www",
        "sub NS ns.sub",
        "ns.sub A 10.0.1.53",
        "*.wild A 10.0.1.99",
        "*.wild TXT \"wild\"",
        "_sip._tcp SRV 0 5 5060 sip",
        "sip A 10.0.1.30",
        "a.b.c TXT \"deep\"",
        "ext CNAME www.bigsky.com.",
        "out CNAME www.example.org.",
        "loop1 CNAME loop2",
        "loop2 CNAME loop1",
        "wc CNAME x.wild",
        "mx MX 10 x.wild",
        "sub2 A 10.0.1.2",
        "*.sub2 CNAME sub2",
        "*.sub3 MX 10 sub3",
    };
    for (int i = 0; i < 20; ++i) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%02d", i);
        recs.push_back("big TXT \"" + std::string(buf) + std::string(57, 'x') + "\"");
    }
    for (int i = 0; i < 12; ++i) {
        const std::string n = std::to_string(i);
        recs.push_back("mxs MX " + n + " m" + n + ".mxs");
        recs.push_back("m" + n + ".mxs A 10.0.3." + n);
        recs.push_back("m" + n + ".mxs AAAA fd00::3:" + n);
    }
    for (int i = 0; i < 7; ++i) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%02d", i);
        recs.push_back("med TXT \"" + std::string(buf) + std::string(52, 'y') + "\"");
    }
    int line = 10;
    for (auto& r : recs) sina.records.push_back({r, {line++, 5}});
    c.domains.push_back(sina);

    config::Domain bigsky;
    bigsky.name = "bigsky.com";
    bigsky.mail = false;
    bigsky.mx = "mail.sina.com";
    bigsky.records = {{"www A 10.0.2.20", {}}};
    c.domains.push_back(bigsky);

    config::Domain rev;
    rev.name = "1.0.10.in-addr.arpa";
    rev.mail = false;
    rev.mx = "mail.sina.com";
    rev.records = {{"10 PTR mail.sina.com.", {}}};
    c.domains.push_back(rev);
    return c;
}

BuildResult build(const config::Config& cfg) {
    SerialStore serials("/nonexistent-mxlab-test/dns-serials", SerialStore::Mode::read_only);
    using namespace std::chrono;
    return build_zones(cfg, serials, sys_days{year{2025} / January / 1});
}

std::vector<std::uint8_t> wire_name(std::string_view name) {
    std::vector<std::uint8_t> out;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    while (!name.empty()) {
        const auto dot = name.find('.');
        const auto label = name.substr(0, dot);
        out.push_back(static_cast<std::uint8_t>(label.size()));
        out.insert(out.end(), label.begin(), label.end());
        if (dot == std::string_view::npos) break;
        name.remove_prefix(dot + 1);
    }
    out.push_back(0);
    return out;
}

std::vector<std::uint8_t> make_query(std::string_view name, const QueryOpts& o) {
    std::vector<std::uint8_t> q(12);
    put16(q.data(), o.id);
    put16(q.data() + 2, o.rd ? flag::rd : 0);
    put16(q.data() + 4, 1);
    put16(q.data() + 10, o.edns ? 1 : 0);
    const auto n = wire_name(name);
    q.insert(q.end(), n.begin(), n.end());
    std::uint8_t tc[4];
    put16(tc, o.type);
    put16(tc + 2, o.cls);
    q.insert(q.end(), tc, tc + 4);
    if (o.edns) {
        std::uint8_t opt[11] = {0};
        put16(opt + 1, rrtype::OPT);
        put16(opt + 3, o.payload);
        opt[6] = o.version;
        put16(opt + 7, o.do_bit ? 0x8000 : 0);
        q.insert(q.end(), opt, opt + 11);
    }
    return q;
}

Reply parse(std::span<const std::uint8_t> bytes) {
    Reply r;
    r.bytes.assign(bytes.begin(), bytes.end());
    ldns_pkt* p = nullptr;
    if (!bytes.empty() && ldns_wire2pkt(&p, bytes.data(), bytes.size()) == LDNS_STATUS_OK) r.pkt.reset(p);
    return r;
}

namespace {

std::vector<std::string> rr_strings(const ldns_rr_list* list) {
    std::vector<std::string> out;
    for (std::size_t i = 0; list && i < ldns_rr_list_rr_count(list); ++i) {
        LdnsString s(ldns_rr2str(ldns_rr_list_rr(list, i)));
        std::string t = s ? s.get() : "";
        for (char& ch : t)
            if (ch == '\t') ch = ' ';
        while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
        out.push_back(t);
    }
    return out;
}

}  // namespace

int Reply::rcode() const { return ldns_pkt_get_rcode(pkt.get()); }
bool Reply::aa() const { return ldns_pkt_aa(pkt.get()); }
bool Reply::tc() const { return ldns_pkt_tc(pkt.get()); }
bool Reply::rd() const { return ldns_pkt_rd(pkt.get()); }
bool Reply::ra() const { return ldns_pkt_ra(pkt.get()); }
int Reply::qdcount() const { return ldns_pkt_qdcount(pkt.get()); }
std::vector<std::string> Reply::answer() const { return rr_strings(ldns_pkt_answer(pkt.get())); }
std::vector<std::string> Reply::authority() const { return rr_strings(ldns_pkt_authority(pkt.get())); }
std::vector<std::string> Reply::additional() const { return rr_strings(ldns_pkt_additional(pkt.get())); }
bool Reply::edns() const { return ldns_pkt_edns(pkt.get()); }
int Reply::edns_payload() const { return ldns_pkt_edns_udp_size(pkt.get()); }
int Reply::edns_ext_rcode() const { return ldns_pkt_edns_extended_rcode(pkt.get()); }
bool Reply::edns_do() const { return ldns_pkt_edns_do(pkt.get()); }

Reply ask(const ZoneSet& zones, std::string_view name, const QueryOpts& o, Transport t) {
    Responder r;
    const auto q = make_query(name, o);
    return parse(r.respond(zones, q, {t, v4(127, 0, 0, 1)}));
}

}  // namespace mxlab::dns::test
