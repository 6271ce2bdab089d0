// libFuzzer target: arbitrary bytes as a DNS query (UDP or TCP, allowed or not for AXFR and recursion) to the responder.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dns/forward.hpp"
#include "dns/responder.hpp"
#include "tests/fuzz/fuzz_zones.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto zones = mxlab::fuzz::make_zones();
    static mxlab::dns::Responder responder;
    if (size == 0) return 0;
    // The first byte picks the transport, the client and the fast path.
    const std::uint8_t mode = data[0];
    const mxlab::dns::QueryContext ctx{(mode & 1) ? mxlab::dns::Transport::tcp : mxlab::dns::Transport::udp,
                                       (mode & 2) ? mxlab::fuzz::transfer_client() : mxlab::fuzz::other_client()};
    responder.set_use_precompiled((mode & 4) == 0);
    // Copy so that reading past the input is caught by ASan.
    auto* q = static_cast<std::uint8_t*>(std::malloc(size - 1 ? size - 1 : 1));
    if (size > 1) std::memcpy(q, data + 1, size - 1);
    const auto reply = responder.respond(*zones, {q, size - 1}, ctx);
    if (const auto* f = responder.forward_query()) {
        // What the forwarder answers when no upstream does must fit the client too.
        if (!reply.empty() || mxlab::dns::error_reply(*f, mxlab::dns::rcode::servfail).size() > f->limit) std::abort();
    }
    std::size_t sum = 0;
    for (std::uint8_t b : reply) sum += b;
    if (!reply.empty() && (reply.size() < 12 || (ctx.transport == mxlab::dns::Transport::udp && reply.size() > 1232)))
        std::abort();
    int messages = 0;
    while (responder.transfer_in_progress() && ++messages < 1000) {
        const auto m = responder.next_transfer_message(*zones);
        for (std::uint8_t b : m) sum += b;
    }
    std::free(q);
    return static_cast<int>(sum & 0);
}
