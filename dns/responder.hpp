// The authoritative responder: query bytes in, reply bytes out (no sockets; the UDP/TCP servers sit on top).
//
// Behaviour is DESIGN.md section 4, with NSD 4.6 as the reference where it is
// silent (RFC 1035, 2181, 2308, 4592, 6891, 8482, 8914 for EDE codes, 5936
// for AXFR, 1995 for IXFR). In short:
//   - shorter than a header, or QR=1: dropped (empty reply);
//   - opcode NOTIFY: REFUSED (we are no secondary); other opcodes but QUERY:
//     NOTIMP; RCODE bits set, QDCOUNT != 1, a bad or compressed question
//     name, records in answer/authority (but IXFR's SOA), additional records
//     other than one OPT, a malformed OPT, trailing bytes: FORMERR. Like NSD,
//     these replies carry no question and keep only RD;
//   - EDNS version > 0: BADVERS; replies to EDNS queries carry an OPT with
//     payload 1232 and the DO bit echoed;
//   - UDP replies are cut to the client's size (512 without EDNS; with EDNS
//     its payload, at least 512, at most max_udp_payload() = 1232 as NSD,
//     so replies are never IP-fragmented); TCP up to 65535;
//   - class IN (and ANY, as NSD: AA=0, no SOA/NS); CH TXT version.bind,
//     version.server, id.server, hostname.bind as NSD answers them; others
//     REFUSED;
//   - a client in dns.recursion asking about a name outside our zones
//     (class IN): respond() returns nothing and forward_query() says what to
//     forward (dns/forward.hpp); every reply to such a client has RA=1;
//   - AXFR and IXFR over TCP to clients in dns.allow_transfer (REFUSED
//     otherwise, NOTAUTH for a name that is not a zone apex); AXFR over UDP
//     NOTIMP; IXFR is answered with the SOA alone when the client is up to
//     date or asks over UDP (RFC 1995 4), else with a full transfer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "config/config.hpp"
#include "dns/forward.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

enum class Transport { udp, tcp };

struct QueryContext {
    Transport transport = Transport::udp;
    config::IpAddr client;
};

// One per thread: it owns the reply buffer and scratch space, reused for
// every query (no allocation per query).
class Responder {
public:
    Responder();
    ~Responder();
    Responder(const Responder&) = delete;
    Responder& operator=(const Responder&) = delete;

    // The reply to one query, valid until the next call on this Responder;
    // empty when the query must be dropped.
    std::span<const std::uint8_t> respond(const ZoneSet& zones, std::span<const std::uint8_t> query,
                                          const QueryContext& ctx);

    // Non-null when the last respond() returned nothing because the question
    // goes to dns.resolvers (dns/forward.hpp); valid until the next respond().
    const ForwardQuery* forward_query() const;

    // Zone transfers (TCP only): after respond() returned the first message of
    // an AXFR (or IXFR answered as one), transfer_in_progress() is true and
    // next_transfer_message() returns the following messages, each at most
    // about 16 KB, the last one ending with the SOA; pass the same ZoneSet
    // (keep its shared_ptr until the transfer is done). A new respond() call
    // abandons a transfer in progress.
    bool transfer_in_progress() const;
    std::span<const std::uint8_t> next_transfer_message(const ZoneSet& zones);

    std::uint16_t max_udp_payload() const;
    void set_max_udp_payload(std::uint16_t bytes);  // at least 512

    // Off: every query is planned and encoded as it comes (tests check that
    // both paths give the same bytes; benchmarks measure the difference).
    void set_use_precompiled(bool on);

    struct State;  // buffers and scratch (dns/responder_state.hpp)

private:
    std::unique_ptr<State> s_;
};

}  // namespace mxlab::dns
