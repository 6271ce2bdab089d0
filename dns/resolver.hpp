// The mail side's resolver: MX and A/AAAA lookups, from our own zones or from dns.resolvers, for Asio coroutines.
//
// DESIGN.md section 4 "Mail-side lookups"; reads the TOML key dns.resolvers
// (through set_servers) and the zones being served (ZoneHolder).
//
//   - A name inside our own zones is answered from the ZoneSet, without the
//     network. A CNAME that leaves our zones, or a delegation inside them,
//     continues on the network.
//   - Other names go to the servers of dns.resolvers, in order: a UDP query
//     with RD=1 and EDNS (payload 1232, RFC 6891), from a fresh socket (a
//     random source port) with a random ID; only a reply from the server's
//     address and port with our ID and question counts (RFC 5452 9.1). TC=1:
//     the same server again over TCP (RFC 7766 section 5). REFUSED, SERVFAIL,
//     NOTIMP, FORMERR, a malformed or lame reply, a timeout or a network error:
//     the next server. A server that timed out is asked once more after the
//     others (RFC 1035 4.2.1: try the other servers before repeating).
//     NXDOMAIN and NODATA are answers (RFC 2308): no other server is asked.
//   - A referral (no answer, NS and no SOA in the authority section, AA=0) is
//     followed (RFC 1034 5.3.3): the referred servers' glue addresses, or the
//     NS names looked up like any other name, are asked on the SAME PORT as
//     the server that gave the referral. In the lab every server listens on
//     53, so that is port 53; on a test machine, servers on high loopback
//     ports (127.0.0.1:10053, 127.0.0.2:10053) can refer to each other. A
//     delegation in our own zones is followed on ResolverOptions::delegation_port.
//     At most max_referrals referrals per name; each must lead strictly
//     further down, towards the name.
//   - CNAMEs are followed across replies and zones, at most max_cnames.
//   - MX (RFC 5321 section 5.1): hosts sorted by preference (equal
//     preferences keep the server's order; the caller may shuffle them);
//     each host's A/AAAA from the reply's additional section when they are
//     there and in the bailiwick of the server, else looked up. No MX RRset
//     but an address: the implicit MX, the domain itself with preference 0.
//     A null MX (RFC 7505, "MX 0 ."): null_mx, the message bounces.
//   - dns.resolvers empty and the name not ours: temporary, "no resolver
//     configured for <name> (dns.resolvers is empty)". /etc/resolv.conf is
//     never read: the lab decides which DNS its mail sees.
//   - Each call has a total deadline (total_timeout) besides the per-try one.
//
// Expected failures are values (the status); nothing here throws but
// std::bad_alloc. No caching yet: every call asks again. The seam for a cache
// is Resolver::resolve() (one name and type to a final answer, with TTLs and
// the RFC 2308 negative TTL at hand).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"
#include "dns/resolver_reply.hpp"
#include "dns/resolver_transport.hpp"
#include "dns/zone_holder.hpp"

namespace mxlab::dns {

namespace client {
struct Exchange;
}

struct MxHost {
    std::string name;  // lower case, no trailing dot
    std::uint16_t preference = 0;
    std::vector<config::IpAddr> addresses;  // A first, then AAAA
};

struct MxResult {
    enum class Status {
        ok,         // `hosts` (at least one with an address), by preference
        null_mx,    // "MX 0 ." (RFC 7505): the domain accepts no mail; bounce
        nxdomain,   // the domain does not exist: permanent
        no_hosts,   // no MX and no A/AAAA, or no MX host has an address: permanent
        temporary,  // timeouts, SERVFAIL, no resolver configured: retry later
    };
    Status status = Status::temporary;
    // Sorted by preference; the implicit MX (RFC 5321 5.1) is the domain (after
    // CNAMEs) with preference 0. MX hosts without any address are left out
    // (and named in `detail`).
    std::vector<MxHost> hosts;
    // For logs and bounces: what failed at which server, or where the answer
    // came from ("from our zones", "from 10.0.2.10:53").
    std::string detail;
};

struct AddressResult {
    enum class Status {
        ok,          // `addresses` has at least one
        nxdomain,    // the name does not exist: permanent
        no_address,  // the name exists without A or AAAA: permanent
        temporary,   // retry later
    };
    Status status = Status::temporary;
    std::string canonical;                  // the name after CNAMEs; lower case, no trailing dot
    std::vector<config::IpAddr> addresses;  // A first, then AAAA
    std::string detail;
};

std::string_view to_string(MxResult::Status);
std::string_view to_string(AddressResult::Status);

struct ResolverOptions {
    std::chrono::milliseconds try_timeout{2000};     // one UDP or TCP exchange with one server
    std::chrono::milliseconds total_timeout{30000};  // a whole resolve_mx / resolve_addresses call
    int rounds = 2;             // passes over the servers that timed out (RFC 1035 4.2.1)
    int max_referrals = 5;      // per name
    int max_cnames = 8;         // per lookup, across replies and our own zones
    int max_mx_hosts = 16;      // more are ignored (the queue will not try them all anyway)
    std::uint16_t udp_payload = 1232;
    std::uint16_t delegation_port = 53;  // where the servers of a delegation in our own zones listen
};

// Thread-safe; the Resolver must outlive the calls running on it. Sockets
// and timers live on `io`, one strand per exchange, so the io_context may run
// on several threads.
class Resolver {
public:
    Resolver(asio::io_context& io, ZoneHolder& zones, Logger& log, ResolverOptions options = {});
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // dns.resolvers, in order; called at start and on reload, from any thread.
    // Lookups already running keep the list they started with.
    void set_servers(std::vector<config::Endpoint> servers);
    // Before the first lookup (appliance.listen applies at restart only).
    void set_source(client::Source source) { source_ = std::move(source); }
    std::vector<config::Endpoint> servers() const;

    // Shutdown: from now on no query is sent; calls in flight end within one
    // try_timeout, as temporary failures. Call before the io_context stops.
    void stop();

    // The MX hosts of a mail domain ("bigsky.com", any case, trailing dot optional).
    asio::awaitable<MxResult> resolve_mx(std::string domain);
    // The A and AAAA addresses of a host, following CNAMEs.
    asio::awaitable<AddressResult> resolve_addresses(std::string host);

private:
    struct Budget;
    struct Answer;

    using Servers = std::vector<config::Endpoint>;

    // One name and type to a final answer (CNAMEs followed): the cache seam.
    asio::awaitable<Answer> resolve(client::WireName name, std::uint16_t type, Budget& budget);
    // One step: our zones, or the network for a name that is not ours.
    asio::awaitable<Answer> resolve_step(const client::WireName& name, std::uint16_t type, Budget& budget);
    // Asks `servers` (trusted for `zone`) in order, following referrals.
    asio::awaitable<Answer> ask_servers(Servers servers, client::WireName zone, const client::WireName& name,
                                        std::uint16_t type, int referrals, Budget& budget);
    // The servers of a referral: glue, else the NS names' addresses, on `port`.
    asio::awaitable<Servers> referred_servers(const client::Verdict& v, std::uint16_t port, Budget& budget);
    // One query to one server: UDP, then TCP when truncated.
    asio::awaitable<client::Exchange> exchange(config::Endpoint server, const client::WireName& name, std::uint16_t type,
                                       Budget& budget);
    asio::awaitable<AddressResult> addresses(const client::WireName& host, Budget& budget);

    asio::io_context& io_;
    ZoneHolder& zones_;
    Logger& log_;
    ResolverOptions options_;
    std::atomic<std::shared_ptr<const Servers>> servers_;
    client::Source source_;
    std::atomic<bool> stopping_{false};
};

}  // namespace mxlab::dns
