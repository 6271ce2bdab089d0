// libFuzzer target: a DNS-over-TCP byte stream (RFC 1035 section 4.2.2, RFC 7766) framed and answered as dns/tcp_server.cpp does.
//
// Input: byte 0 picks the client (bit 0: one allowed to transfer) and the
// path (bit 1: plan every answer instead of the precompiled ones); the rest
// is what the client sends on one connection. The loop below is the
// server's: a 2-byte length, that many bytes, respond(), then each reply
// message with its length, an AXFR's following messages before the next
// query is read; a stream that ends inside a length or a message is a
// connection that closed, and what was partly read is dropped.
//
// Checks, for every query on the connection: each reply message fits a
// 2-byte length and is a DNS message ldns parses, answering the query's ID
// with QR set; a transfer reaches only a client in allow_transfer, is bounded
// and ends, starts with the zone's SOA and ends with it (RFC 5936 section 2.2).
#include "core/ldns.hpp"
#include "dns/ldns_ptr.hpp"
#include "dns/responder.hpp"
#include "dns/wire.hpp"
#include "tests/fuzz/fuzz_zones.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

struct Parsed {
    mxlab::dns::LdnsPkt pkt;
    ldns_rr_list* answer = nullptr;
    std::size_t answers = 0;
};

Parsed parse(std::span<const std::uint8_t> message, std::uint16_t id) {
    check(message.size() >= 12 && message.size() <= 65535);
    check(mxlab::dns::get16(message.data()) == id && (message[2] & 0x80) != 0);
    ldns_pkt* p = nullptr;
    check(ldns_wire2pkt(&p, message.data(), message.size()) == LDNS_STATUS_OK);
    Parsed r;
    r.pkt.reset(p);
    r.answer = ldns_pkt_answer(p);
    r.answers = ldns_rr_list_rr_count(r.answer);
    return r;
}

bool is_soa(const ldns_rr_list* list, std::size_t i) { return ldns_rr_get_type(ldns_rr_list_rr(list, i)) == LDNS_RR_TYPE_SOA; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto zones = mxlab::fuzz::make_zones();
    if (size == 0) return 0;
    // One Responder per connection, as the server keeps one in each.
    mxlab::dns::Responder responder;
    const bool allowed = (data[0] & 1) != 0;
    const mxlab::dns::QueryContext ctx{mxlab::dns::Transport::tcp,
                                       allowed ? mxlab::fuzz::transfer_client() : mxlab::fuzz::other_client()};
    responder.set_use_precompiled((data[0] & 2) == 0);
    const std::span<const std::uint8_t> stream(data + 1, size - 1);

    for (std::size_t pos = 0; stream.size() - pos >= 2;) {
        const std::size_t len = mxlab::dns::get16(stream.data() + pos);
        pos += 2;
        if (stream.size() - pos < len) break;
        // Its own allocation, so that reading past the query is caught by ASan.
        std::vector<std::uint8_t> query(stream.begin() + pos, stream.begin() + pos + len);
        pos += len;
        auto reply = responder.respond(*zones, query, ctx);
        if (reply.empty()) continue;  // dropped: nothing is written
        check(query.size() >= 12);
        const std::uint16_t id = mxlab::dns::get16(query.data());

        const Parsed first = parse(reply, id);
        const ldns_rr_list* question = ldns_pkt_question(first.pkt.get());
        const bool transfer = ldns_rr_list_rr_count(question) == 1 &&
                              (ldns_rr_get_type(ldns_rr_list_rr(question, 0)) == LDNS_RR_TYPE_AXFR ||
                               ldns_rr_get_type(ldns_rr_list_rr(question, 0)) == LDNS_RR_TYPE_IXFR) &&
                              ldns_pkt_get_rcode(first.pkt.get()) == LDNS_RCODE_NOERROR && first.answers > 0;
        if (transfer) check(allowed && is_soa(first.answer, 0));
        bool last_is_soa = first.answers > 0 && is_soa(first.answer, first.answers - 1);
        std::size_t messages = 1;
        while (responder.transfer_in_progress()) {
            check(transfer && ++messages <= 64);
            reply = responder.next_transfer_message(*zones);
            if (reply.empty()) break;
            const Parsed next = parse(reply, id);
            check(next.answers > 0);
            last_is_soa = is_soa(next.answer, next.answers - 1);
        }
        if (transfer) check(last_is_soa);
    }
    return 0;
}
