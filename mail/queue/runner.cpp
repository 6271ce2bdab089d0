// The queue runner: passes over the due entries, one coroutine per destination and per connection; see runner.hpp.
#include "mail/queue/runner.hpp"

#include <algorithm>
#include <cstdio>

#include "core/ascii.hpp"
#include "mail/queue/bounce.hpp"
#include "mail/queue/retry.hpp"
#include "mail/queue/routing.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::queue {

namespace {


// The store keeps whole seconds.
store::Time now() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return lower(at == std::string_view::npos ? std::string_view{} : address.substr(at + 1));
}

bool has_8bit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// "0.35": seconds since the message arrived, as Postfix's delay=.
std::string seconds_since(store::Time from, std::chrono::system_clock::time_point to) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(std::max<long long>(ms, 0)) / 1000.0);
    return buf;
}

// A status for a reply text from an earlier pass ("550 5.1.1 ..."): its
// enhanced code when it has one, else one from the basic code.
std::string status_of(std::string_view text) {
    if (text.find("smtp.queue_lifetime") != std::string_view::npos) return "5.4.7";  // gave up after a deferral
    if (text.size() >= 9 && text[3] == ' ' && (text[4] == '4' || text[4] == '5') && text[5] == '.') {
        auto end = text.find(' ', 4);
        return std::string(text.substr(4, end == std::string_view::npos ? std::string_view::npos : end - 4));
    }
    return !text.empty() && text[0] == '4' ? "4.0.0" : "5.0.0";
}

// "5.1.1": what make_bounce() takes for a failed recipient (RFC 3463 section 3.1).
bool valid_failure_status(std::string_view s) {
    auto digits = [](std::string_view p) {
        return !p.empty() && p.size() <= 3 && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (s.size() < 5 || s[0] != '5' || s[1] != '.') return false;
    auto dot = s.find('.', 2);
    return dot != std::string_view::npos && digits(s.substr(2, dot - 2)) && digits(s.substr(dot + 1));
}

smtp::RecipientResult local_result(const std::string& address, smtp::Outcome outcome, const std::string& status,
                                   const std::string& text) {
    smtp::RecipientResult r;
    r.address = address;
    r.outcome = outcome;
    r.status = status;
    r.text = text;
    return r;
}

}  // namespace

// One queue entry being worked on: the results of all its domains, written in one update.
struct Runner::InFlight {
    struct Attempt {
        smtp::RecipientResult result;
        std::string relay;  // the host that answered, "host[addr]:port", or "none"
    };
    store::QueueEntry entry;
    std::size_t parts_left = 0;
    std::map<std::string, Attempt> results;  // by lower-case address
};

// One entry's recipients at one domain.
struct Runner::Part {
    std::shared_ptr<InFlight> job;
    std::string domain;
    std::vector<std::string> recipients;
    bool settled = false;
};

Runner::Runner(asio::io_context& io, store::AsyncStore& store, dns::Resolver& resolver, Logger& log, RunnerOptions options)
    : io_(io), store_(store), resolver_(resolver), log_(log), options_(options), strand_(asio::make_strand(io)),
      timer_(strand_), client_(log), tls_(smtp::make_client_tls_context()) {}

Runner::~Runner() { stop(); }

void Runner::set_snapshot(std::shared_ptr<const RunnerSnapshot> snapshot) {
    std::lock_guard lock(snapshot_mutex_);
    snapshot_ = std::move(snapshot);
}

std::shared_ptr<const RunnerSnapshot> Runner::snapshot() const {
    std::lock_guard lock(snapshot_mutex_);
    return snapshot_;
}

void Runner::spawn(asio::awaitable<void> work, const char* what) {
    asio::co_spawn(strand_, std::move(work), [this, what](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log_.error("queue.failed", {{"in", what}, {"error", ex.what()}});
        }
    });
}

void Runner::start() { spawn(loop(), "loop"); }

void Runner::wake() {
    asio::post(strand_, [this] {
        woken_ = true;
        timer_.cancel();
    });
}

void Runner::stop() {
    if (stopping_.exchange(true)) return;
    asio::post(strand_, [this] { timer_.cancel(); });
    client_.stop();
}

asio::awaitable<void> Runner::loop() {
    while (!stopping_) {
        woken_ = false;
        co_await pass();
        if (stopping_) break;
        if (woken_) continue;
        timer_.expires_after(options_.poll);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Runner::pass() {
    auto snap = snapshot();
    if (!snap) co_return;
    auto due = co_await store_.queue_due(now(), options_.pass_limit);
    if (!due) {
        log_.error("queue.read.failed", {{"error", due.error().message}});
        co_return;
    }
    std::map<std::string, std::vector<std::shared_ptr<Part>>> by_domain;
    for (auto& e : *due) {
        if (in_flight_.count(e.id)) continue;
        std::map<std::string, std::vector<std::string>> domains;
        for (const auto& r : e.recipients) {
            if (r.state == store::RecipientState::pending) domains[domain_of(r.address)].push_back(r.address);
        }
        // Per-destination limit: an entry waits for the next pass when any of its domains is busy.
        bool room = std::all_of(domains.begin(), domains.end(),
                                [&](const auto& d) { return active_[d.first] < options_.per_destination; });
        if (!room) continue;
        auto job = std::make_shared<InFlight>();
        job->entry = std::move(e);
        // Postfix's smtp_destination_recipient_limit: at most 50 RCPTs per
        // transaction, so that a pipelined batch stays small (RFC 2920 section 3.1).
        constexpr std::size_t kRecipientsPerMessage = 50;
        for (const auto& d : domains) job->parts_left += (d.second.size() + kRecipientsPerMessage - 1) / kRecipientsPerMessage;
        in_flight_.insert(job->entry.id);
        if (domains.empty()) {  // only failed recipients left: their bounce is still to be sent
            spawn(finish(job), "finish");
            continue;
        }
        for (auto& [domain, rcpts] : domains) {
            for (std::size_t i = 0; i < rcpts.size(); i += kRecipientsPerMessage) {
                auto part = std::make_shared<Part>();
                part->job = job;
                part->domain = domain;
                auto end = rcpts.begin() + static_cast<std::ptrdiff_t>(std::min(rcpts.size(), i + kRecipientsPerMessage));
                part->recipients.assign(rcpts.begin() + static_cast<std::ptrdiff_t>(i), end);
                by_domain[domain].push_back(std::move(part));
            }
        }
    }
    for (auto& [domain, parts] : by_domain) spawn(run_domain(domain, std::move(parts), snap), "deliver");
}

asio::awaitable<void> Runner::run_domain(std::string domain, std::vector<std::shared_ptr<Part>> parts,
                                         std::shared_ptr<const RunnerSnapshot> snap) {
    auto mx = co_await resolver_.resolve_mx(domain);
    auto route = plan_route(domain, mx, identity_of(*snap->config));
    if (route.kind != Route::Kind::deliver) {
        auto outcome = route.kind == Route::Kind::defer ? smtp::Outcome::deferred : smtp::Outcome::failed;
        for (auto& part : parts) {
            std::vector<smtp::RecipientResult> results;
            for (const auto& a : part->recipients) results.push_back(local_result(a, outcome, route.status, route.text));
            settle(*part, std::move(results), "none");
            part_done(part);
        }
        co_return;
    }
    // Round-robin over the connections this destination may still open.
    std::size_t free = options_.per_destination - std::min(options_.per_destination, active_[domain]);
    std::size_t k = std::max<std::size_t>(1, std::min(free, parts.size()));
    std::vector<std::vector<std::shared_ptr<Part>>> chunks(k);
    for (std::size_t i = 0; i < parts.size(); ++i) chunks[i % k].push_back(std::move(parts[i]));
    active_[domain] += k;
    for (auto& chunk : chunks) spawn(run_connection(std::move(chunk), route.hosts, snap), "connection");
}

asio::awaitable<void> Runner::run_connection(std::vector<std::shared_ptr<Part>> parts, std::vector<dns::MxHost> hosts,
                                             std::shared_ptr<const RunnerSnapshot> snap) {
    const std::string domain = parts.front()->domain;
    smtp::ClientOptions options;
    options.helo = snap->config->appliance.hostname;
    options.port = options_.smtp_port;
    options.tls = tls_;
    for (const auto& a : snap->config->appliance.listen) {
        if (!a.is_unspecified()) options.sources.push_back(a);
    }

    // The bodies, read once for every host this connection may try.
    std::vector<smtp::OutboundMessage> messages;
    std::vector<std::shared_ptr<Part>> remaining;
    for (auto& part : parts) {
        auto body = co_await read_blob(part->job->entry.blob);
        if (!body) {
            std::vector<smtp::RecipientResult> results;
            for (const auto& a : part->recipients)
                results.push_back(local_result(a, smtp::Outcome::deferred, "4.3.0", "cannot read the message: " + body.error().message));
            settle(*part, std::move(results), "none");
            part_done(part);
            continue;
        }
        smtp::OutboundMessage m;
        m.sender = part->job->entry.sender;
        m.recipients = part->recipients;
        m.eight_bit = has_8bit(*body);
        m.body = std::make_shared<const std::string>(std::move(*body));
        messages.push_back(std::move(m));
        remaining.push_back(part);
    }

    std::string last_error = "no MX host of " + domain + " could be tried";
    std::string last_relay = "none";
    for (const auto& host : hosts) {
        for (const auto& address : host.addresses) {
            if (remaining.empty() || stopping_) break;
            auto attempt = co_await client_.send(options, host.name, address, messages);
            std::vector<smtp::OutboundMessage> next_messages;
            std::vector<std::shared_ptr<Part>> next_remaining;
            for (std::size_t i = 0; i < remaining.size(); ++i) {
                if (i < attempt.results.size() && attempt.results[i]) {
                    settle(*remaining[i], std::move(*attempt.results[i]), attempt.relay);
                    part_done(remaining[i]);
                } else {
                    next_messages.push_back(std::move(messages[i]));
                    next_remaining.push_back(std::move(remaining[i]));
                }
            }
            messages = std::move(next_messages);
            remaining = std::move(next_remaining);
            if (!attempt.error.empty()) {
                last_error = attempt.error;
                last_relay = attempt.relay;
            }
        }
    }
    for (auto& part : remaining) {
        std::vector<smtp::RecipientResult> results;
        for (const auto& a : part->recipients) results.push_back(local_result(a, smtp::Outcome::deferred, "4.4.1", last_error));
        settle(*part, std::move(results), last_relay);
        part_done(part);
    }
    if (--active_[domain] == 0) active_.erase(domain);
}

void Runner::settle(Part& part, std::vector<smtp::RecipientResult> results, const std::string& relay) {
    if (part.settled) return;
    part.settled = true;
    auto& job = *part.job;
    const auto at = std::chrono::system_clock::now();
    for (auto& r : results) {
        // Postfix-style: one line per recipient and attempt.
        log_.info("queue.delivery", {{"queue_id", job.entry.id},
                                     {"from", "<" + job.entry.sender + ">"},
                                     {"to", "<" + r.address + ">"},
                                     {"relay", relay},
                                     {"delay", seconds_since(job.entry.created, at)},
                                     {"attempt", job.entry.attempts + 1},
                                     {"status", r.outcome == smtp::Outcome::delivered  ? "sent"
                                                : r.outcome == smtp::Outcome::deferred ? "deferred"
                                                                                       : "bounced"},
                                     {"detail", r.text}});
        auto key = lower(r.address);  // before r is moved from
        job.results[key] = {std::move(r), relay};
    }
}

void Runner::part_done(const std::shared_ptr<Part>& part) {
    auto job = part->job;
    if (--job->parts_left == 0) spawn(finish(job), "finish");
}

asio::awaitable<void> Runner::finish(std::shared_ptr<InFlight> job) {
    auto snap = snapshot();
    const auto& entry = job->entry;
    const auto at = now();
    const auto& smtp_cfg = snap->config->smtp;
    const bool is_expired = expired(entry.created, at, smtp_cfg.queue_lifetime);
    store::QueueUpdate update;
    update.count_attempt = !job->results.empty();
    // A bounce is never bounced (RFC 5321 section 6.1): the failures of a
    // message from <> end here, as bounced, and so do those of earlier passes.
    const bool null_sender = entry.sender.empty();
    const auto undeliverable = null_sender ? store::RecipientState::bounced : store::RecipientState::failed;
    std::string first_error;
    for (const auto& r : entry.recipients) {
        if (r.state == store::RecipientState::failed && null_sender) {
            update.recipients.push_back({r.address, store::RecipientState::bounced, r.last_error});
            continue;
        }
        if (r.state != store::RecipientState::pending) continue;
        auto it = job->results.find(lower(r.address));
        if (it == job->results.end()) continue;
        const auto& res = it->second.result;
        store::RecipientUpdate u{r.address, store::RecipientState::pending, res.text};
        if (res.outcome == smtp::Outcome::delivered) {
            u.state = store::RecipientState::delivered;
        } else if (res.outcome == smtp::Outcome::failed) {
            u.state = undeliverable;
        } else if (is_expired) {
            u.state = undeliverable;
            u.last_error = res.text + " (gave up: the message has been in the queue longer than smtp.queue_lifetime)";
        }
        if (u.state != store::RecipientState::delivered && first_error.empty()) first_error = u.last_error;
        update.recipients.push_back(std::move(u));
    }
    update.next_try = at + retry_delay(smtp_cfg.retry_interval, entry.attempts + 1);
    if (!first_error.empty()) update.last_error = first_error;
    auto updated = co_await store_.update_queue(entry.id, update);
    if (!updated) {
        log_.error("queue.update.failed", {{"queue_id", entry.id}, {"error", updated.error().message}});
    } else {
        for (const auto& u : update.recipients) {
            if (u.state == store::RecipientState::bounced)
                log_.warn("queue.dropped", {{"queue_id", entry.id}, {"to", "<" + u.address + ">"},
                                            {"detail", "a bounce that cannot be delivered is not bounced"}});
        }
        bool failed = std::any_of(updated->recipients.begin(), updated->recipients.end(),
                                  [](const auto& r) { return r.state == store::RecipientState::failed; });
        if (failed) co_await bounce(*updated, job, snap);
    }
    in_flight_.erase(entry.id);
}

asio::awaitable<void> Runner::bounce(store::QueueEntry entry, std::shared_ptr<InFlight> job, std::shared_ptr<const RunnerSnapshot> snap) {
    if (entry.sender.empty()) co_return;  // finish() has marked them bounced
    // The header section is all a bounce returns (text/rfc822-headers); 256 KB holds it.
    auto original = co_await read_blob(entry.blob, 256 * 1024);

    BounceRequest in;
    in.reporting_mta = snap->config->appliance.hostname;
    in.sender = entry.sender;
    in.queue_id = std::to_string(entry.id);
    in.arrival = entry.created;
    in.now = now();
    in.original = original ? std::string_view(*original) : std::string_view{};
    for (const auto& r : entry.recipients) {
        if (r.state != store::RecipientState::failed) continue;
        BounceRecipient f;
        f.address = r.address;
        f.diagnostic = r.last_error;
        f.status = status_of(r.last_error);
        if (auto it = job->results.find(lower(r.address)); it != job->results.end()) {
            const auto& [result, relay] = it->second;
            f.status = result.status;
            f.from_remote = !result.command.empty();
            f.in_reply_to = result.command;
            // Remote-MTA only when a remote MTA answered (RFC 3464 section 2.3.5).
            if (f.from_remote && relay != "none") {
                auto open = relay.find('['), close = relay.find(']');
                f.remote_mta = relay.substr(0, open);
                if (open != std::string::npos && close != std::string::npos && close > open) f.remote_ip = relay.substr(open + 1, close - open - 1);
            }
        }
        // A deferral that ran out of queue_lifetime: RFC 3463 X.4.7, delivery time expired.
        if (f.status.empty() || f.status[0] != '5') f.status = "5.4.7";
        if (!valid_failure_status(f.status)) f.status = "5.0.0";
        in.recipients.push_back(std::move(f));
    }
    auto made = make_bounce(in);
    std::string why_not;  // non-empty: no bounce can be sent, the failures end here
    if (auto* err = std::get_if<BounceError>(&made)) why_not = "the bounce cannot be made: " + std::string(to_string(*err));

    store::Envelope env;
    env.sender = "";  // MAILER-DAEMON: MAIL FROM:<>
    env.completes = entry.id;
    auto rcpt = snap->directory->resolve(entry.sender);
    if (rcpt.kind == auth::Recipient::Kind::remote) {
        env.remote_recipients = {entry.sender};
    } else {
        env.local_users = rcpt.users;
        env.remote_recipients = rcpt.remote;
    }
    if (why_not.empty() && env.local_users.empty() && env.remote_recipients.empty())
        why_not = "the sender is not a user here";  // our domain, but the address names nobody now
    if (!why_not.empty()) {
        store::QueueUpdate u;
        u.count_attempt = false;
        for (const auto& f : in.recipients) u.recipients.push_back({f.address, store::RecipientState::bounced, f.diagnostic});
        auto r = co_await store_.update_queue(entry.id, u);
        log_.warn("queue.bounce.undeliverable", {{"queue_id", entry.id}, {"to", "<" + entry.sender + ">"},
                                                 {"detail", r ? why_not : r.error().message}});
        co_return;
    }
    auto done = co_await store_.deliver(env, std::get<Bounce>(made).message);
    if (!done) {
        log_.error("queue.bounce.failed", {{"queue_id", entry.id}, {"error", done.error().message}});
        co_return;
    }
    log_.info("queue.bounce", {{"queue_id", entry.id},
                               {"to", "<" + entry.sender + ">"},
                               {"failed", in.recipients.size()},
                               {"bounce_queue_id", done->queued ? *done->queued : 0}});
    if (done->queued) wake();
}

asio::awaitable<store::Result<std::string>> Runner::read_blob(store::BlobId id, std::uint64_t limit) {
    // A named lambda capturing by reference: see the g++ 12 note in async_store.hpp.
    auto read = [&](store::Store& s) -> store::Result<std::string> {
        auto reader = s.open_blob(id);
        if (!reader) return reader.error();
        return reader->read(0, std::min(reader->size(), limit));
    };
    co_return co_await store_.run(read);
}

}  // namespace mxlab::queue
