// The resolver's I/O: one query to one server over UDP or TCP, with a deadline (Asio coroutines).
//
// Each exchange owns a fresh socket (so a fresh random source port, RFC 5452
// section 10) and a timer that cancels it. Run each exchange as its own
// coroutine on a strand (the resolver does), so the timer's handler and the
// socket's operations never run at the same time on a multi-threaded io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/asio.hpp"
#include "dns/resolver_reply.hpp"

namespace mxlab::dns::client {

struct Exchange {
    bool ok = false;         // `reply` answers the question
    bool timed_out = false;  // no answer within the time: worth another try later
    Reply reply;
    std::vector<std::uint8_t> wire;  // ok: the reply as it came (the forwarder passes it on)
    std::string error;  // !ok: "timed out after 2000 ms", "connection refused", "malformed reply (...)"
};

// Where queries leave from. When the appliance listens on one address of a
// family only (the loopback lab: A on 127.0.1.10), its queries leave from it
// too, so the server asked sees who asks: the other appliance then knows the
// question comes from its own upstream and never forwards it back (a loop
// that otherwise ends only at the timeout). With 0.0.0.0 or several
// addresses, or a loopback address and a server elsewhere, the kernel picks.
struct Source {
    std::optional<config::IpAddr> v4, v6;

    static Source from_listen(const std::vector<config::IpAddr>& listen);
    std::optional<config::IpAddr> for_server(const config::Endpoint& server) const;
};

// Sends `query` (which asks `q`) from a socket connected to `server` and waits
// for the reply: datagrams from other addresses or ports, with another ID or
// another question are ignored (RFC 5452 9.1), until `timeout`.
asio::awaitable<Exchange> udp_exchange(config::Endpoint server, Question q, std::vector<std::uint8_t> query,
                                       std::chrono::milliseconds timeout, std::optional<config::IpAddr> source = {});

// The same over TCP (RFC 1035 4.2.2, RFC 7766): two-byte length, then the
// message; one query per connection, closed afterwards. A reply that does not
// match is an error: on TCP nobody else can inject one.
asio::awaitable<Exchange> tcp_exchange(config::Endpoint server, Question q, std::vector<std::uint8_t> query,
                                       std::chrono::milliseconds timeout, std::optional<config::IpAddr> source = {});

// A query ID from the kernel's random source (getrandom), not a predictable PRNG (RFC 5452 section 4.3).
std::uint16_t random_id();

}  // namespace mxlab::dns::client
