// The queue runner: takes due entries from the store's outbound queue, routes them by MX, hands them to the SMTP client, records each result, retries and bounces.
//
// DESIGN.md section 5 "Outbound". Reads smtp.retry_interval (first retry;
// the interval doubles per attempt up to one hour), smtp.queue_lifetime (then
// the sender gets an RFC 3464 bounce), appliance.hostname (EHLO, loop check,
// the bounce's Reporting-MTA) and appliance.addresses/listen (loop check).
//
// Scheduling: a pass every second, or at once when woken (new mail queued,
// `mxlab queue retry`). A pass takes the due entries that are not already in
// flight, groups their pending recipients by domain, resolves each domain's
// MX once, and sends each domain's messages over at most per_destination
// connections, several messages per connection. An entry's results are
// written in one store update when all its domains are done: a recipient is
// delivered once (its state moves in the same write as the result), and the
// entry goes when nothing is left. Failed recipients get one bounce, written
// in the same store write that marks them bounced (Envelope::completes). A
// message from <> is never bounced (RFC 5321 section 6.1).
//
// Everything here runs on one strand: outbound mail in a lab is light, and
// the state (what is in flight, per-destination counts) then needs no lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"
#include "dns/resolver.hpp"
#include "mail/auth/directory.hpp"
#include "mail/smtp/client.hpp"
#include "mail/store/async_store.hpp"

namespace mxlab::queue {

struct RunnerSnapshot {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const auth::Directory> directory;
};

struct RunnerOptions {
    std::uint16_t smtp_port = 25;         // where MX hosts listen (tests on high ports change it)
    std::size_t per_destination = 5;      // connections per domain at once (Postfix: 20)
    std::size_t pass_limit = 1000;        // entries taken per pass
    std::chrono::milliseconds poll{1000};  // how often due entries are looked for without a wake-up
};

class Runner {
public:
    Runner(asio::io_context& io, store::AsyncStore& store, dns::Resolver& resolver, Logger& log, RunnerOptions options = {});
    ~Runner();

    void set_snapshot(std::shared_ptr<const RunnerSnapshot> snapshot);
    void start();
    // Look for due entries now (from any thread).
    void wake();
    // No new passes; open connections are closed, and the deliveries in
    // flight record their recipients as deferred.
    void stop();

private:
    struct InFlight;
    struct Part;

    asio::awaitable<void> loop();
    asio::awaitable<void> pass();
    asio::awaitable<void> run_domain(std::string domain, std::vector<std::shared_ptr<Part>> parts,
                                     std::shared_ptr<const RunnerSnapshot> snap);
    asio::awaitable<void> run_connection(std::vector<std::shared_ptr<Part>> parts, std::vector<dns::MxHost> hosts,
                                         std::shared_ptr<const RunnerSnapshot> snap);
    asio::awaitable<void> finish(std::shared_ptr<InFlight> job);
    asio::awaitable<void> bounce(store::QueueEntry entry, std::shared_ptr<InFlight> job, std::shared_ptr<const RunnerSnapshot> snap);
    // The first `limit` bytes of a message (all of it by default), read on the store's pool.
    asio::awaitable<store::Result<std::string>> read_blob(store::BlobId id,
                                                          std::uint64_t limit = std::numeric_limits<std::uint64_t>::max());
    void settle(Part& part, std::vector<smtp::RecipientResult> results, const std::string& relay);
    void part_done(const std::shared_ptr<Part>& part);
    std::shared_ptr<const RunnerSnapshot> snapshot() const;
    void spawn(asio::awaitable<void> work, const char* what);

    asio::io_context& io_;
    store::AsyncStore& store_;
    dns::Resolver& resolver_;
    Logger& log_;
    RunnerOptions options_;
    asio::strand<asio::io_context::executor_type> strand_;
    asio::steady_timer timer_;
    smtp::OutboundClient client_;
    std::shared_ptr<asio::ssl::context> tls_;

    mutable std::mutex snapshot_mutex_;
    std::shared_ptr<const RunnerSnapshot> snapshot_;

    // Strand-only state.
    std::set<store::QueueId> in_flight_;
    std::map<std::string, std::size_t> active_;  // connections per domain
    bool woken_ = false;
    std::atomic<bool> stopping_{false};
};

}  // namespace mxlab::queue
