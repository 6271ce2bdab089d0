// Recursion for the lab's PCs, the I/O half: questions forwarded to dns.resolvers, coalesced, cached (Asio coroutines).
//
// What is answered and how is dns/forward.hpp. Here:
//   - the cache (dns/cache.hpp) answers first; RD=0 is answered from it only;
//   - one upstream question per (name, type, class) at a time: clients asking
//     the same while it is out wait for its answer (a flood of one name costs
//     one query; a query of ours that comes back to us joins the wait instead
//     of going round again);
//   - at most max_in_flight questions out and max_waiting clients waiting;
//     past either, SERVFAIL at once;
//   - each server of dns.resolvers in order, try_timeout each (UDP, then TCP
//     when truncated, RFC 7766 5), from a fresh socket with a random ID, the
//     reply checked against ID, source and question (RFC 5452 9.1; the
//     transport of dns/resolver_transport.hpp). SERVFAIL, REFUSED, another
//     error rcode, a malformed reply or a timeout: the next server. None
//     answers: SERVFAIL, not cached.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"
#include "core/log_limiter.hpp"
#include "dns/cache.hpp"
#include "dns/forward.hpp"
#include "dns/resolver_transport.hpp"

namespace mxlab::dns {

struct ForwarderOptions {
    std::chrono::milliseconds try_timeout{2000};  // per server
    std::size_t max_in_flight = 256;              // distinct questions out at once
    std::size_t max_waiting = 4096;               // clients waiting for them, all together
    std::uint16_t udp_payload = 1232;             // what our upstream queries advertise
    DnsCache::Limits cache;
    CacheLimits ttl;
};

// Thread-safe. Must outlive the forwards it started: the appliance destroys it
// after its io_context has run out of work.
class Forwarder {
public:
    using Done = std::function<void(std::vector<std::uint8_t> reply)>;

    Forwarder(asio::io_context& io, Logger& log, ForwarderOptions options = {}, DnsCache::Now now = DnsCache::Clock::now);
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // dns.resolvers; at start and on reload. Forwards already out keep their list.
    void set_servers(std::vector<config::Endpoint> servers);
    // Before the first forward (appliance.listen applies at restart only).
    void set_source(client::Source source) { source_ = std::move(source); }
    // No new upstream query from now on: SERVFAIL instead.
    void stop();

    // The reply from the cache, or the REFUSED of a cache miss with RD=0;
    // nullopt: forward() it.
    std::optional<std::vector<std::uint8_t>> answer_now(const ForwardQuery& q);
    // Asks dns.resolvers; `done` gets the reply exactly once, on any thread
    // (at once, for SERVFAIL past the limits).
    void forward(ForwardQuery q, Done done);
    // answer_now(), else forward(), for a coroutine (the TCP server); resumes on the caller's executor.
    asio::awaitable<std::vector<std::uint8_t>> resolve(ForwardQuery q);

    DnsCache& cache() { return cache_; }

private:
    struct Waiter {
        ForwardQuery q;
        Done done;
    };

    asio::awaitable<void> run(std::string key, ForwardQuery q);
    void finish(const std::string& key, std::shared_ptr<const StoredReply> reply);

    asio::io_context& io_;
    Logger& log_;
    ForwarderOptions options_;
    client::Source source_;
    DnsCache cache_;
    std::atomic<std::shared_ptr<const std::vector<config::Endpoint>>> servers_;
    std::atomic<bool> stopping_{false};
    std::mutex mu_;
    std::unordered_map<std::string, std::vector<Waiter>> in_flight_;  // under mu_
    std::size_t waiting_ = 0;                                          // under mu_
    LogLimiter<int> servfails_{std::chrono::seconds(10)};  // a dead upstream is one warning per 10 s
};

}  // namespace mxlab::dns
