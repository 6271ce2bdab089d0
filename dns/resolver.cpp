// The mail side's resolver: our own zones first, then dns.resolvers in order, with referrals, CNAMEs and MX rules.
#include "dns/resolver.hpp"

#include <algorithm>

#include "dns/resolver_transport.hpp"
#include "dns/wire.hpp"
#include "dns/zone_set.hpp"

// GCC 12 inlines Asio's awaitable frame allocation (its recycling allocator's
// operator new) into coroutines that await other coroutines, then warns that
// the frame's class operator delete frees it: a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::dns {

using client::Record;
using client::Verdict;
using client::WireName;

std::string_view to_string(MxResult::Status s) {
    switch (s) {
    case MxResult::Status::ok: return "ok";
    case MxResult::Status::null_mx: return "null_mx";
    case MxResult::Status::nxdomain: return "nxdomain";
    case MxResult::Status::no_hosts: return "no_hosts";
    case MxResult::Status::temporary: return "temporary";
    }
    return "?";
}

std::string_view to_string(AddressResult::Status s) {
    switch (s) {
    case AddressResult::Status::ok: return "ok";
    case AddressResult::Status::nxdomain: return "nxdomain";
    case AddressResult::Status::no_address: return "no_address";
    case AddressResult::Status::temporary: return "temporary";
    }
    return "?";
}

// The time left for one resolve_mx / resolve_addresses call, shared by every
// query it makes, and how deep we are in looking up name servers' addresses.
struct Resolver::Budget {
    using Clock = std::chrono::steady_clock;
    Clock::time_point deadline;
    int nesting = 0;
    // Servers that timed out during this call are asked after the others in
    // its later queries, so one dead resolver costs one timeout, not one per query.
    std::vector<config::Endpoint> slow;

    std::chrono::milliseconds remaining() const {
        return std::max(std::chrono::milliseconds(0),
                        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
};

// A final answer for one name and type (or, inside resolve(), a CNAME to follow).
struct Resolver::Answer {
    enum class Status { ok, nodata, nxdomain, cname, temporary };
    Status status = Status::temporary;
    WireName canonical;                // after CNAMEs
    std::vector<Record> records;       // ok: the RRset
    std::vector<Record> addresses;     // ok: in-bailiwick A/AAAA from the additional section
    std::uint32_t negative_ttl = 0;    // nodata/nxdomain (RFC 2308 section 5), for a future cache
    std::string source;                // "our zones", "10.0.2.10:53"
    std::string detail;                // temporary: what failed, where
};

namespace {

constexpr int kMaxNsLookups = 3;  // NS names without glue looked up per referral
constexpr int kMaxNesting = 2;    // lookups of NS names inside lookups of NS names
constexpr std::size_t kMaxReferredServers = 8;

const WireName kRoot{0};

std::string type_name(std::uint16_t type) {
    switch (type) {
    case rrtype::A: return "A";
    case rrtype::AAAA: return "AAAA";
    case rrtype::MX: return "MX";
    case rrtype::CNAME: return "CNAME";
    case rrtype::NS: return "NS";
    default: return "TYPE" + std::to_string(type);
    }
}

std::string host_of(const WireName& w) { return name_to_host(w); }

bool same(const WireName& a, const WireName& b) { return a == b; }

// "BigSky.COM." -> lower-case wire; nullopt for what is not a host name.
std::optional<WireName> parse_host(std::string_view text) {
    if (text.empty() || text == ".") return std::nullopt;
    return name_from_text(text);
}

// A name we can hand to ZoneSet::lookup (which takes text): only when its
// text form reads back as the same wire name (no '.' or odd bytes inside labels).
std::optional<std::string> lookup_text(const WireName& w) {
    std::string text = name_to_host(w);
    auto back = name_from_text(text);
    if (!back || *back != w) return std::nullopt;
    return text;
}

Record from_lookup(const LookupRecord& l) {
    Record r;
    r.owner = name_from_text(l.owner).value_or(WireName{});
    r.type = l.type;
    r.ttl = l.ttl;
    r.address = l.address;
    r.preference = l.preference;
    if (l.type == rrtype::MX || l.type == rrtype::CNAME || l.type == rrtype::NS)
        r.target = l.target.empty() ? kRoot : name_from_text(l.target).value_or(kRoot);
    return r;
}

// A first, then AAAA (the lab's networks are IPv4 first); no duplicates.
void add_addresses(std::vector<config::IpAddr>& out, const std::vector<Record>& records, const WireName* owner) {
    for (int v6 = 0; v6 < 2; ++v6)
        for (const Record& r : records)
            if (r.address && r.address->v6 == (v6 == 1) && (!owner || same(r.owner, *owner)) &&
                std::find(out.begin(), out.end(), *r.address) == out.end())
                out.push_back(*r.address);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

}  // namespace

Resolver::Resolver(asio::io_context& io, ZoneHolder& zones, Logger& log, ResolverOptions options)
    : io_(io), zones_(zones), log_(log), options_(options) {
    servers_.store(std::make_shared<const Servers>());
}

void Resolver::set_servers(std::vector<config::Endpoint> servers) {
    servers_.store(std::make_shared<const Servers>(std::move(servers)));
}

std::vector<config::Endpoint> Resolver::servers() const { return *servers_.load(); }

void Resolver::stop() { stopping_.store(true); }

asio::awaitable<MxResult> Resolver::resolve_mx(std::string domain) {
    MxResult out;
    const auto wire = parse_host(domain);
    if (!wire) {
        out.status = MxResult::Status::nxdomain;
        out.detail = "\"" + domain + "\" is not a valid domain name";
        co_return out;
    }
    const std::string d = host_of(*wire);
    Budget budget{Budget::Clock::now() + options_.total_timeout};
    Answer mx = co_await resolve(*wire, rrtype::MX, budget);

    switch (mx.status) {
    case Answer::Status::temporary:
    case Answer::Status::cname:  // resolve() never returns it
        out.status = MxResult::Status::temporary;
        out.detail = mx.detail;
        break;
    case Answer::Status::nxdomain:
        out.status = MxResult::Status::nxdomain;
        out.detail = host_of(mx.canonical) + ": no such domain (NXDOMAIN from " + mx.source + ")";
        break;
    case Answer::Status::nodata: {
        // RFC 5321 5.1: no MX RRset, so the domain (after CNAMEs) is its own
        // mail host, as an implicit MX with preference 0.
        AddressResult a = co_await addresses(mx.canonical, budget);
        switch (a.status) {
        case AddressResult::Status::ok:
            out.status = MxResult::Status::ok;
            out.hosts.push_back({host_of(mx.canonical), 0, std::move(a.addresses)});
            out.detail = "no MX for " + d + " (from " + mx.source + "): implicit MX " + host_of(mx.canonical) +
                         " (RFC 5321 5.1)";
            break;
        case AddressResult::Status::temporary:
            out.status = MxResult::Status::temporary;
            out.detail = "no MX for " + d + " (from " + mx.source + "), and its address lookup failed: " + a.detail;
            break;
        case AddressResult::Status::nxdomain:
        case AddressResult::Status::no_address:
            out.status = MxResult::Status::no_hosts;
            out.detail = d + " has no MX and no A/AAAA record (from " + mx.source + ")";
            break;
        }
        break;
    }
    case Answer::Status::ok: {
        std::stable_sort(mx.records.begin(), mx.records.end(),
                         [](const Record& a, const Record& b) { return a.preference < b.preference; });
        // RFC 7505: "MX 0 ." says the domain takes no mail. An MX to the root
        // beside real ones is a broken null MX: the real ones are used.
        if (std::all_of(mx.records.begin(), mx.records.end(), [](const Record& r) { return same(r.target, kRoot); })) {
            out.status = MxResult::Status::null_mx;
            out.detail = d + " accepts no mail: null MX (RFC 7505), from " + mx.source;
            break;
        }
        std::vector<std::string> missing;
        bool temporary = false;
        int looked_at = 0;
        std::vector<WireName> seen;
        for (const Record& r : mx.records) {
            if (same(r.target, kRoot) || std::find(seen.begin(), seen.end(), r.target) != seen.end()) continue;
            if (looked_at++ >= options_.max_mx_hosts) break;
            seen.push_back(r.target);
            MxHost host{host_of(r.target), r.preference, {}};
            add_addresses(host.addresses, mx.addresses, &r.target);
            if (host.addresses.empty()) {
                AddressResult a = co_await addresses(r.target, budget);
                if (a.status == AddressResult::Status::ok) {
                    host.addresses = std::move(a.addresses);
                } else {
                    temporary = temporary || a.status == AddressResult::Status::temporary;
                    missing.push_back(a.detail);
                }
            }
            if (!host.addresses.empty()) out.hosts.push_back(std::move(host));
        }
        if (!out.hosts.empty()) {
            out.status = MxResult::Status::ok;
            out.detail = "MX of " + d + " from " + mx.source;
            if (!missing.empty()) out.detail += "; left out: " + join(missing, "; ");
        } else {
            out.status = temporary ? MxResult::Status::temporary : MxResult::Status::no_hosts;
            out.detail = "no MX host of " + d + " has an address: " + join(missing, "; ");
        }
        break;
    }
    }
    log_.debug("dns.resolver.mx", {{"domain", d}, {"status", to_string(out.status)}, {"detail", out.detail}});
    co_return out;
}

asio::awaitable<AddressResult> Resolver::resolve_addresses(std::string host) {
    const auto wire = parse_host(host);
    if (!wire) {
        AddressResult out;
        out.status = AddressResult::Status::nxdomain;
        out.canonical = host;
        out.detail = "\"" + host + "\" is not a valid host name";
        co_return out;
    }
    Budget budget{Budget::Clock::now() + options_.total_timeout};
    AddressResult out = co_await addresses(*wire, budget);
    log_.debug("dns.resolver.addresses",
               {{"host", host_of(*wire)}, {"status", to_string(out.status)}, {"detail", out.detail}});
    co_return out;
}

asio::awaitable<AddressResult> Resolver::addresses(const WireName& host, Budget& budget) {
    AddressResult out;
    const std::string h = host_of(host);
    Answer v4 = co_await resolve(host, rrtype::A, budget);
    out.canonical = host_of(v4.canonical.empty() ? host : v4.canonical);
    if (v4.status == Answer::Status::nxdomain) {
        out.status = AddressResult::Status::nxdomain;
        out.detail = out.canonical + ": no such host (NXDOMAIN from " + v4.source + ")";
        co_return out;
    }
    // The AAAA query starts from where the A query's CNAMEs led.
    const bool known = v4.status == Answer::Status::ok || v4.status == Answer::Status::nodata;
    Answer v6 = co_await resolve(known ? v4.canonical : host, rrtype::AAAA, budget);
    if (v4.status == Answer::Status::ok) add_addresses(out.addresses, v4.records, nullptr);
    if (v6.status == Answer::Status::ok) add_addresses(out.addresses, v6.records, nullptr);

    std::vector<std::string> failed;
    if (v4.status == Answer::Status::temporary) failed.push_back(v4.detail);
    if (v6.status == Answer::Status::temporary && (failed.empty() || failed.front() != v6.detail))
        failed.push_back(v6.detail);
    if (!out.addresses.empty()) {
        out.status = AddressResult::Status::ok;
        out.detail = "from " + (v4.status == Answer::Status::ok ? v4.source : v6.source);
        if (!failed.empty()) out.detail += "; " + join(failed, "; ");
    } else if (!failed.empty()) {
        out.status = AddressResult::Status::temporary;
        out.detail = join(failed, "; ");
    } else if (v6.status == Answer::Status::nxdomain) {
        out.status = AddressResult::Status::nxdomain;
        out.detail = out.canonical + ": no such host (NXDOMAIN from " + v6.source + ")";
    } else {
        out.status = AddressResult::Status::no_address;
        out.detail = out.canonical + " has no A or AAAA record (from " + v4.source + ")";
    }
    co_return out;
}

asio::awaitable<Resolver::Answer> Resolver::resolve(WireName name, std::uint16_t type, Budget& budget) {
    // A cache would answer here, keyed by (name, type), for min(TTLs) or the
    // negative TTL; nothing else needs to change.
    const WireName first = name;
    std::vector<WireName> seen{name};
    for (int hops = 0;; ++hops) {
        Answer a = co_await resolve_step(name, type, budget);
        if (a.status != Answer::Status::cname) co_return a;
        // RFC 1034 3.6.2 / 5.3.3: restart the query at the CNAME's target.
        const bool loop = std::find(seen.begin(), seen.end(), a.canonical) != seen.end();
        if (loop || hops + 1 > options_.max_cnames) {
            Answer fail;
            fail.canonical = a.canonical;
            fail.detail = host_of(first) + " " + type_name(type) + ": " +
                          (loop ? "CNAME loop at " + host_of(a.canonical)
                                : "more than " + std::to_string(options_.max_cnames) + " CNAMEs");
            co_return fail;
        }
        seen.push_back(a.canonical);
        name = a.canonical;
    }
}

asio::awaitable<Resolver::Answer> Resolver::resolve_step(const WireName& name, std::uint16_t type, Budget& budget) {
    const std::string host = host_of(name);
    const std::string what = host + " " + type_name(type);
    const auto zones = zones_.get();
    const auto text = lookup_text(name);
    if (zones && text && zones->serves(*text)) {
        // Ours: the ZoneSet knows, without the network (DESIGN.md section 4).
        const LookupResult r = zones->lookup(*text, type);
        Answer a;
        a.source = "our zones";
        a.canonical = name_from_text(r.canonical).value_or(name);
        for (const auto& rec : r.records) a.records.push_back(from_lookup(rec));
        a.negative_ttl = r.negative_ttl;
        switch (r.status) {
        case LookupStatus::ok: a.status = Answer::Status::ok; co_return a;
        case LookupStatus::nodata: a.status = Answer::Status::nodata; co_return a;
        case LookupStatus::nxdomain: a.status = Answer::Status::nxdomain; co_return a;
        case LookupStatus::cname_loop:
            a.status = Answer::Status::temporary;
            a.detail = what + ": CNAME loop or chain too long in our zones";
            co_return a;
        case LookupStatus::not_ours:
            if (a.canonical != name) {
                a.status = Answer::Status::cname;  // a CNAME that leaves our zones: the network goes on
                co_return a;
            }
            break;  // cannot happen (serves() said ours); ask the network
        case LookupStatus::delegated: {
            // A delegation in our zones: ask its servers, with the glue we
            // hold below the cut (occluded for answers, there for this).
            Verdict v;
            v.kind = Verdict::Kind::referral;
            v.cut = r.referral.empty() ? a.canonical : name_from_text(r.referral.front().owner).value_or(a.canonical);
            for (const auto& ns : r.referral) {
                const auto target = name_from_text(ns.target);
                if (!target) continue;
                v.ns.push_back(*target);
                const std::uint32_t node = zones->find(*target);
                if (node == ZoneSet::none) continue;
                for (std::uint16_t t : {rrtype::A, rrtype::AAAA}) {
                    const std::uint32_t rs = zones->find_rrset(zones->nodes[node], t);
                    if (rs == ZoneSet::none) continue;
                    zones->for_each_rdata(zones->rrsets[rs], [&](std::span<const std::uint8_t> rd) {
                        Record g;
                        g.owner = *target;
                        g.type = t;
                        config::IpAddr ip;
                        ip.v6 = t == rrtype::AAAA;
                        if (rd.size() != (ip.v6 ? 16u : 4u)) return;
                        std::copy(rd.begin(), rd.end(), ip.bytes.begin());
                        g.address = ip;
                        v.glue.push_back(std::move(g));
                    });
                }
            }
            Servers servers = co_await referred_servers(v, options_.delegation_port, budget);
            if (servers.empty()) {
                a.status = Answer::Status::temporary;
                a.detail = what + ": the delegation of " + host_of(v.cut) + " in our zones has no usable server address";
                co_return a;
            }
            Answer sub = co_await ask_servers(std::move(servers), v.cut, a.canonical, type, 1, budget);
            if (sub.status == Answer::Status::temporary)
                sub.detail = what + ": delegated by our zones to " + host_of(v.cut) + ": " + sub.detail;
            co_return sub;
        }
        }
    }

    const auto servers = servers_.load();
    if (servers->empty()) {
        Answer a;
        a.canonical = name;
        a.detail = "no resolver configured for " + host + " (dns.resolvers is empty)";
        co_return a;
    }
    Answer a = co_await ask_servers(*servers, kRoot, name, type, 0, budget);
    if (a.status == Answer::Status::temporary) a.detail = what + ": " + a.detail;
    co_return a;
}

asio::awaitable<Resolver::Answer> Resolver::ask_servers(Servers servers, WireName zone, const WireName& name,
                                                        std::uint16_t type, int referrals, Budget& budget) {
    std::stable_partition(servers.begin(), servers.end(), [&](const config::Endpoint& s) {
        return std::find(budget.slow.begin(), budget.slow.end(), s) == budget.slow.end();
    });
    std::vector<std::string> failures;
    std::vector<bool> again(servers.size(), false);
    const client::Question q{0, name, type};
    bool out_of_time = false;
    for (int round = 0; round < std::max(1, options_.rounds) && !out_of_time; ++round) {
        bool asked = false;
        for (std::size_t i = 0; i < servers.size(); ++i) {
            if (round > 0 && !again[i]) continue;
            again[i] = false;
            if (stopping_.load()) {
                failures.push_back("the resolver is stopping");
                out_of_time = true;
                break;
            }
            if (budget.remaining().count() == 0) {
                failures.push_back("gave up after " + std::to_string(options_.total_timeout.count()) + " ms");
                out_of_time = true;
                break;
            }
            asked = true;
            const config::Endpoint& server = servers[i];
            const std::string where = server.str();
            client::Exchange ex = co_await exchange(server, name, type, budget);
            if (!ex.ok) {
                failures.push_back(where + " " + ex.error);
                again[i] = ex.timed_out;
                if (ex.timed_out && std::find(budget.slow.begin(), budget.slow.end(), server) == budget.slow.end())
                    budget.slow.push_back(server);
                continue;
            }
            Verdict v = client::judge(ex.reply, q, zone);
            switch (v.kind) {
            case Verdict::Kind::truncated: failures.push_back(where + " truncated even over TCP"); continue;
            case Verdict::Kind::failed: failures.push_back(where + " " + v.why); continue;
            case Verdict::Kind::referral: {
                const std::string cut = host_of(v.cut);
                if (referrals >= options_.max_referrals) {
                    failures.push_back(where + " referral to " + cut + ": more than " +
                                       std::to_string(options_.max_referrals) + " referrals");
                    continue;
                }
                Servers next = co_await referred_servers(v, server.port, budget);
                if (next.empty()) {
                    failures.push_back(where + " referral to " + cut + " without a usable server address");
                    continue;
                }
                Answer sub = co_await ask_servers(std::move(next), v.cut, name, type, referrals + 1, budget);
                if (sub.status != Answer::Status::temporary) co_return sub;
                failures.push_back(where + " referral to " + cut + " (" + sub.detail + ")");
                continue;
            }
            case Verdict::Kind::answer:
            case Verdict::Kind::nodata:
            case Verdict::Kind::nxdomain:
            case Verdict::Kind::cname: {
                Answer a;
                a.status = v.kind == Verdict::Kind::answer   ? Answer::Status::ok
                           : v.kind == Verdict::Kind::nodata ? Answer::Status::nodata
                           : v.kind == Verdict::Kind::nxdomain ? Answer::Status::nxdomain
                                                               : Answer::Status::cname;
                a.canonical = std::move(v.canonical);
                a.records = std::move(v.records);
                a.addresses = std::move(v.addresses);
                a.negative_ttl = v.negative_ttl;
                a.source = where;
                co_return a;
            }
            }
        }
        if (!asked) break;
    }
    Answer fail;
    fail.canonical = name;
    fail.detail = join(failures, "; ");
    co_return fail;
}

asio::awaitable<Resolver::Servers> Resolver::referred_servers(const Verdict& v, std::uint16_t port, Budget& budget) {
    Servers out;
    auto add = [&](const config::IpAddr& ip) {
        const config::Endpoint ep{ip, port};
        if (out.size() < kMaxReferredServers && std::find(out.begin(), out.end(), ep) == out.end())
            out.push_back(ep);
    };
    std::vector<config::IpAddr> glue;
    add_addresses(glue, v.glue, nullptr);
    for (const auto& ip : glue) add(ip);
    if (!out.empty() || budget.nesting >= kMaxNesting) co_return out;
    // No glue: the NS names are looked up like any name (they lie outside
    // the delegated zone, or the referral would have carried glue).
    ++budget.nesting;
    int looked_up = 0;
    for (const WireName& ns : v.ns) {
        if (looked_up++ >= kMaxNsLookups || budget.remaining().count() == 0) break;
        if (name_in_zone(ns, v.cut)) continue;  // inside the cut without glue: unreachable, and a loop
        AddressResult a = co_await addresses(ns, budget);
        for (const auto& ip : a.addresses) add(ip);
    }
    --budget.nesting;
    co_return out;
}

asio::awaitable<client::Exchange> Resolver::exchange(config::Endpoint server, const WireName& name,
                                                     std::uint16_t type, Budget& budget) {
    // Each exchange runs on its own strand: the io_context may have several
    // threads, and the exchange's timer and socket must not race.
    client::Question q{client::random_id(), name, type};
    auto timeout = std::min(options_.try_timeout, budget.remaining());
    client::Exchange ex = co_await asio::co_spawn(
        asio::make_strand(io_), client::udp_exchange(server, q, client::make_query(q, options_.udp_payload), timeout,
                                                    source_.for_server(server)),
        asio::use_awaitable);
    if (ex.ok && ex.reply.tc) {
        // RFC 7766 section 5: a truncated reply is asked again over TCP, of the same server.
        q.id = client::random_id();
        timeout = std::min(options_.try_timeout, budget.remaining());
        if (timeout.count() > 0) {
            ex = co_await asio::co_spawn(asio::make_strand(io_),
                                         client::tcp_exchange(server, q, client::make_query(q, options_.udp_payload),
                                                              timeout, source_.for_server(server)),
                                         asio::use_awaitable);
        } else {
            ex = {};
            ex.timed_out = true;
            ex.error = "truncated over UDP, no time left for TCP";
        }
    }
    if (log_.enabled(LogLevel::debug))
        log_.debug("dns.resolver.query", {{"server", server.str()},
                                          {"name", host_of(name)},
                                          {"type", type_name(type)},
                                          {"result", ex.ok ? client::rcode_name(ex.reply.rcode) : ex.error}});
    co_return ex;
}

}  // namespace mxlab::dns
