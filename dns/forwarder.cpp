// Forwarding for the lab's PCs: the cache first, then one coalesced question per key to dns.resolvers in order.
#include "dns/forwarder.hpp"

#include "dns/resolver_transport.hpp"
#include "dns/wire.hpp"

// GCC 12 inlines Asio's awaitable frame allocation into coroutines that await
// other coroutines, then warns about its operator delete: a false positive
// (as in resolver.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::dns {

namespace {

std::string question_text(const ForwardQuery& q) {
    return name_to_text(q.qname) + " type " + std::to_string(q.qtype);
}

}  // namespace

Forwarder::Forwarder(asio::io_context& io, Logger& log, ForwarderOptions options, DnsCache::Now now)
    : io_(io), log_(log), options_(options), cache_(options.cache, std::move(now)) {
    servers_.store(std::make_shared<const std::vector<config::Endpoint>>());
}

void Forwarder::set_servers(std::vector<config::Endpoint> servers) {
    servers_.store(std::make_shared<const std::vector<config::Endpoint>>(std::move(servers)));
}

void Forwarder::stop() { stopping_.store(true); }

std::optional<std::vector<std::uint8_t>> Forwarder::answer_now(const ForwardQuery& q) {
    if (auto hit = cache_.find(q.key())) return client_reply(*hit->reply, hit->elapsed, q);
    if (!q.rd()) return error_reply(q, rcode::refused);  // RD=0: the cache only
    return std::nullopt;
}

void Forwarder::forward(ForwardQuery q, Done done) {
    std::string key = q.key();
    {
        std::unique_lock lock(mu_);
        const bool full = waiting_ >= options_.max_waiting;
        if (auto it = in_flight_.find(key); it != in_flight_.end() && !full) {
            it->second.push_back({std::move(q), std::move(done)});
            ++waiting_;
            return;
        }
        if (full || in_flight_.size() >= options_.max_in_flight || stopping_.load() || servers_.load()->empty()) {
            lock.unlock();
            done(error_reply(q, rcode::servfail));
            return;
        }
        auto& waiters = in_flight_[key];
        waiters.push_back({q, std::move(done)});
        ++waiting_;
    }
    asio::co_spawn(asio::make_strand(io_), run(key, std::move(q)), [this, key](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log_.error("dns.forward.failed", {{"error", ex.what()}});
        }
        finish(key, nullptr);  // every waiter gets its SERVFAIL
    });
}

asio::awaitable<void> Forwarder::run(std::string key, ForwardQuery q) {
    const auto servers = servers_.load();
    std::string failures;
    std::shared_ptr<const StoredReply> stored;
    for (const config::Endpoint& server : *servers) {
        if (stopping_.load()) break;
        client::Question question{client::random_id(), q.qname, q.qtype};
        client::Exchange ex = co_await asio::co_spawn(
            asio::make_strand(io_),
            client::udp_exchange(server, question, client::make_query(question, options_.udp_payload),
                                 options_.try_timeout, source_.for_server(server)),
            asio::use_awaitable);
        if (ex.ok && ex.reply.tc) {
            // RFC 7766 5: the same server over TCP, with a new ID.
            question.id = client::random_id();
            ex = co_await asio::co_spawn(
                asio::make_strand(io_),
                client::tcp_exchange(server, question, client::make_query(question, options_.udp_payload),
                                     options_.try_timeout, source_.for_server(server)),
                asio::use_awaitable);
        }
        std::string why;
        if (!ex.ok) {
            why = ex.error;
        } else if (ex.reply.tc) {
            why = "truncated even over TCP";
        } else if (ex.reply.rcode != rcode::noerror && ex.reply.rcode != rcode::nxdomain) {
            why = client::rcode_name(ex.reply.rcode);
        } else if (auto r = store_reply(ex.wire, q, options_.ttl)) {
            stored = std::make_shared<const StoredReply>(std::move(*r));
            log_.debug("dns.forward", {{"name", name_to_text(q.qname)},
                                       {"type", q.qtype},
                                       {"server", server.str()},
                                       {"rcode", client::rcode_name(stored->rcode)},
                                       {"ttl", stored->lifetime}});
            break;
        } else {
            why = "malformed reply";
        }
        if (!failures.empty()) failures += "; ";
        failures += server.str() + " " + why;
    }
    if (!stored) {
        if (auto n = servfails_.note(0))
            log_.warn("dns.forward.servfail", {{"question", question_text(q)},
                                               {"detail", failures.empty() ? "no server to ask" : failures},
                                               {"servfails", n}});
    }
    finish(key, std::move(stored));
}

void Forwarder::finish(const std::string& key, std::shared_ptr<const StoredReply> reply) {
    std::vector<Waiter> waiters;
    {
        std::lock_guard lock(mu_);
        auto it = in_flight_.find(key);
        if (it == in_flight_.end()) return;
        waiters = std::move(it->second);
        in_flight_.erase(it);
        waiting_ -= waiters.size();
    }
    if (reply) cache_.insert(key, reply);
    for (auto& w : waiters) w.done(reply ? client_reply(*reply, 0, w.q) : error_reply(w.q, rcode::servfail));
}

asio::awaitable<std::vector<std::uint8_t>> Forwarder::resolve(ForwardQuery q) {
    if (auto now = answer_now(q)) co_return std::move(*now);
    co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::vector<std::uint8_t>)>(
        [this, q = std::move(q)](auto handler) mutable {
            // The handler resumes the coroutine, on its own executor.
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            forward(std::move(q), [h](std::vector<std::uint8_t> reply) {
                auto ex = asio::get_associated_executor(*h);
                asio::post(ex, [h, reply = std::move(reply)]() mutable { (*h)(std::move(reply)); });
            });
        },
        asio::use_awaitable);
}

}  // namespace mxlab::dns
