// The Responder's per-thread state: reply buffer, parsed query, planning scratch, transfer cursor.
#pragma once

#include <array>
#include <memory>

#include "dns/answer.hpp"
#include "dns/forward.hpp"
#include "dns/packet.hpp"
#include "dns/responder.hpp"
#include "dns/wire.hpp"

namespace mxlab::dns {

struct Responder::State {
    // What respond() read from the query.
    struct Request {
        std::uint16_t id = 0;
        std::uint16_t keep = 0;  // reply flags kept from the query: RD and the opcode (NSD keeps no others)
        std::size_t question_end = 0;
        std::uint16_t qtype = 0;
        std::uint16_t qclass = 0;
        bool edns = false;
        std::uint16_t payload = 0;
        std::uint8_t edns_version = 0;
        bool do_bit = false;
        bool has_soa = false;  // IXFR: the client's SOA in the authority section
        std::uint32_t client_serial = 0;
    };

    // A zone transfer being sent (RFC 5936).
    struct Transfer {
        enum class Phase { soa_first, records, soa_last, done };
        bool active = false;
        const ZoneSet* zones = nullptr;
        std::uint32_t zone = 0;
        Phase phase = Phase::soa_first;
        std::uint32_t rrset = 0;      // next RRset
        std::uint16_t rr = 0;         // next RR in it
        std::uint32_t rdata_off = 0;  // where that RR's RDATA entry starts in ZoneSet::rdata
        bool first = true;            // the first message carries the question
        std::uint16_t id = 0;
        std::uint16_t keep = 0;
        std::array<std::uint8_t, max_name + 4> question{};
        std::size_t question_len = 0;
        Name qname;
    };

    static constexpr std::size_t buffer_size = max_message + 64;
    static constexpr std::size_t opt_size = 11;
    static constexpr std::size_t transfer_message = 16384;

    std::unique_ptr<std::uint8_t[]> out = std::make_unique<std::uint8_t[]>(buffer_size);
    std::uint16_t max_udp = 1232;
    bool use_precompiled = true;
    Request req;
    Name qname;
    Plan plan;
    Compressor compressor;
    Encoded encoded;
    Transfer xfr;
    bool recursion = false;   // the client may recurse: RA=1 on every reply to it
    bool forwarding = false;  // respond() left the query to the forwarder: `forward`
    ForwardQuery forward;

    // Writes the header; returns the reply span of `len` bytes.
    std::span<const std::uint8_t> finish(std::size_t len, std::uint16_t flags, std::uint16_t qd, std::uint16_t an,
                                         std::uint16_t ns, std::uint16_t ar);
    // Appends an OPT (RFC 6891 6.1.2) at `pos`, with an EDE option (RFC 8914) when ede != 0; returns its size.
    std::size_t put_opt(std::size_t pos, std::uint8_t ext_rcode, std::uint16_t ede);
    // A reply of header only (errors NSD answers without the question).
    std::span<const std::uint8_t> header_only(std::uint16_t flags, std::uint8_t rcode);
    // A reply with the question echoed and no records (+ OPT when the query had one).
    std::span<const std::uint8_t> question_only(std::span<const std::uint8_t> query, std::uint16_t flags,
                                                std::uint8_t rcode, std::uint16_t ede = 0, std::uint8_t ext_rcode = 0);

    // AXFR/IXFR (axfr.cpp).
    std::span<const std::uint8_t> transfer(const ZoneSet& zs, std::span<const std::uint8_t> query,
                                           const QueryContext& ctx);
    std::span<const std::uint8_t> next_transfer_message(const ZoneSet& zs);
};

}  // namespace mxlab::dns
