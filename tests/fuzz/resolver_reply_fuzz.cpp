// libFuzzer target: arbitrary bytes as a DNS server's reply to the resolver (parse_reply, then judge).
#include <cstddef>
#include <cstdint>

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
    }
    return 0;
}
