// libFuzzer target: arbitrary bytes as a DNS query (UDP or TCP, allowed or not for AXFR) to the responder.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dns/responder.hpp"
#include "dns/zones.hpp"

namespace {

using mxlab::config::IpAddr;

IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddr ip;
    ip.bytes[0] = a;
    ip.bytes[1] = b;
    ip.bytes[2] = c;
    ip.bytes[3] = d;
    return ip;
}

// A small zone set with every kind of node: wildcards, a delegation with
// glue, CNAME chains (in, across, out, looping), big RRsets, a reverse zone.
std::shared_ptr<const mxlab::dns::ZoneSet> make_zones() {
    mxlab::config::Config c;
    c.appliance.hostname = "mail.sina.com";
    c.appliance.addresses = {v4(10, 0, 1, 10)};
    IpAddr v6;
    v6.v6 = true;
    v6.bytes[0] = 0xfd;
    v6.bytes[15] = 0x10;
    c.appliance.addresses.push_back(v6);
    mxlab::config::Cidr any;
    any.addr = v4(0, 0, 0, 0);
    any.prefix = 0;
    c.dns.allow_transfer = {any};
    mxlab::config::Domain sina;
    sina.name = "sina.com";
    sina.mx = "mail.sina.com";
    for (const char* r : {"www A 10.0.1.20",
                          "www AAAA fd00::20",
                          "ftp CNAME www",
                          "sub NS ns.sub",
                          "sub NS ns.sina.com.",
                          "ns.sub A 10.0.1.53",
                          "ns A 10.0.1.54",
                          "*.wild A 10.0.1.99",
                          "*.wild MX 5 mail",
                          "_sip._tcp SRV 0 5 5060 sip",
                          "sip A 10.0.1.30",
                          "@ CAA 0 issue \"ca.example\"",
                          "a.b.c TXT \"deep\"",
                          "ext CNAME www.bigsky.com.",
                          "out CNAME www.example.org.",
                          "loop1 CNAME loop2",
                          "loop2 CNAME loop1",
                          "wc CNAME x.wild",
                          "mx MX 10 x.wild",
                          "*.sub2 CNAME sub2",
                          "sub2 A 10.0.1.2"})
        sina.records.push_back({r, {}});
    for (int i = 0; i < 30; ++i) sina.records.push_back({"big TXT \"" + std::string(60, 'a' + i % 26) + "\"", {}});
    for (int i = 0; i < 12; ++i)
        sina.records.push_back({"mxs MX " + std::to_string(i) + " m" + std::to_string(i) + ".mxs", {}}),
            sina.records.push_back({"m" + std::to_string(i) + ".mxs A 10.0.3." + std::to_string(i), {}});
    c.domains.push_back(sina);
    mxlab::config::Domain bigsky;
    bigsky.name = "bigsky.com";
    bigsky.mail = false;
    bigsky.records = {{"www A 10.0.2.20", {}}};
    c.domains.push_back(bigsky);
    mxlab::config::Domain rev;
    rev.name = "1.0.10.in-addr.arpa";
    rev.mail = false;
    rev.records = {{"10 PTR mail.sina.com.", {}}};
    c.domains.push_back(rev);
    mxlab::dns::SerialStore serials("/nonexistent-mxlab-fuzz/dns-serials", mxlab::dns::SerialStore::Mode::read_only);
    auto b = mxlab::dns::build_zones(c, serials);
    if (!b.errors.empty()) std::abort();
    return b.zones;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto zones = make_zones();
    static mxlab::dns::Responder responder;
    if (size == 0) return 0;
    // The first byte picks the transport, the client and the fast path.
    const std::uint8_t mode = data[0];
    const mxlab::dns::QueryContext ctx{(mode & 1) ? mxlab::dns::Transport::tcp : mxlab::dns::Transport::udp,
                                       (mode & 2) ? v4(127, 0, 0, 1) : v4(10, 9, 9, 9)};
    responder.set_use_precompiled((mode & 4) == 0);
    // Copy so that reading past the input is caught by ASan.
    auto* q = static_cast<std::uint8_t*>(std::malloc(size - 1 ? size - 1 : 1));
    if (size > 1) std::memcpy(q, data + 1, size - 1);
    const auto reply = responder.respond(*zones, {q, size - 1}, ctx);
    std::size_t sum = 0;
    for (std::uint8_t b : reply) sum += b;
    if (!reply.empty() && (reply.size() < 12 || (ctx.transport == mxlab::dns::Transport::udp && reply.size() > 1232)))
        std::abort();
    int messages = 0;
    while (responder.transfer_in_progress() && ++messages < 1000) {
        const auto m = responder.next_transfer_message(*zones);
        for (std::uint8_t b : m) sum += b;
    }
    std::free(q);
    return static_cast<int>(sum & 0);
}
