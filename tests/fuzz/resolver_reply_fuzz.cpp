// libFuzzer target: arbitrary bytes as a DNS server's reply to the resolver (parse_reply, then judge) and to the forwarder (store_reply, client_reply).
#include <cstddef>
#include <cstdint>

#include <cstdlib>

#include "dns/forward.hpp"
#include "dns/resolver_reply.hpp"
#include "dns/wire.hpp"

namespace {

using mxlab::dns::client::Question;
using mxlab::dns::client::WireName;

// The resolver asks about names like these, of servers trusted for these zones.
const WireName kName = *mxlab::dns::name_from_text("www.sub.example.com");
const WireName kZones[] = {WireName{0}, *mxlab::dns::name_from_text("example.com"),
                           *mxlab::dns::name_from_text("sub.example.com")};
const std::uint16_t kTypes[] = {mxlab::dns::rrtype::MX, mxlab::dns::rrtype::A, mxlab::dns::rrtype::AAAA};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    // Take the ID from the input so that the fuzzer gets past the ID check;
    // the question it has to learn.
    for (std::uint16_t type : kTypes) {
        const Question q{mxlab::dns::get16(data), kName, type};
        const auto parsed = mxlab::dns::client::parse_reply({data, size}, q);
        if (parsed.status != mxlab::dns::client::ParsedReply::Status::ok) continue;
        for (const auto& zone : kZones) (void)mxlab::dns::client::judge(parsed.reply, q, zone);
        // The forwarder keeps what the reply says for the lab's PCs: a hostile
        // upstream must not make a reply larger than the client takes.
        mxlab::dns::ForwardQuery f;
        f.question = kName;
        f.question.insert(f.question.end(), {std::uint8_t(type >> 8), std::uint8_t(type), 0, 1});
        f.qname = kName;
        f.qtype = type;
        f.qclass = mxlab::dns::rrclass::IN;
        f.edns = (size & 1) != 0;
        const auto stored = mxlab::dns::store_reply({data, size}, f);
        if (!stored) continue;
        for (std::size_t limit : {std::size_t{512}, std::size_t{65535}}) {
            f.limit = limit;
            const auto reply = mxlab::dns::client_reply(*stored, 100, f);
            if (reply.size() < 12 || reply.size() > limit) std::abort();
        }
    }
    return 0;
}
