// Zone transfers: AXFR over TCP to allow_transfer only (RFC 5936), IXFR as NSD without history (RFC 1995).
#include <gtest/gtest.h>

#include "core/ldns.hpp"
#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

const config::IpAddr allowed = v4(127, 0, 0, 1);
const config::IpAddr stranger = v4(10, 9, 9, 9);

std::vector<Reply> transfer(Responder& r, const ZoneSet& zs, const std::vector<std::uint8_t>& q,
                            Transport t = Transport::tcp, const config::IpAddr& from = allowed) {
    std::vector<Reply> out;
    out.push_back(parse(r.respond(zs, q, {t, from})));
    while (r.transfer_in_progress()) {
        const auto m = r.next_transfer_message(zs);
        if (m.empty()) break;
        out.push_back(parse(m));
    }
    return out;
}

std::vector<std::uint8_t> ixfr(std::string_view zone, std::uint32_t serial) {
    QueryOpts o;
    o.type = rrtype::IXFR;
    auto q = make_query(zone, o);
    put16(q.data() + 8, 1);  // NSCOUNT
    const auto n = wire_name(zone);
    q.insert(q.end(), n.begin(), n.end());
    const std::uint8_t fixed[] = {0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0};  // SOA IN TTL 0 RDLEN 22 "." "."
    q.insert(q.end(), fixed, fixed + sizeof fixed);
    std::uint8_t nums[20] = {};
    put32(nums, serial);
    q.insert(q.end(), nums, nums + 20);
    return q;
}

class Transfers : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto r = build(lab_config());
        ASSERT_TRUE(r.errors.empty());
        zones_ = r.zones;
    }
    static void TearDownTestSuite() { zones_.reset(); }
    static inline std::shared_ptr<const ZoneSet> zones_;
};

TEST_F(Transfers, AxfrStartsAndEndsWithTheSoa) {
    Responder r;
    QueryOpts o;
    o.type = rrtype::AXFR;
    const auto msgs = transfer(r, *zones_, make_query("sina.com", o));
    ASSERT_EQ(msgs.size(), 1u);  // the lab zone fits one message
    const Reply& m = msgs[0];
    EXPECT_EQ(m.rcode(), 0);
    EXPECT_TRUE(m.aa());
    EXPECT_EQ(m.qdcount(), 1);
    const auto rrs = m.answer();
    ASSERT_GT(rrs.size(), 2u);
    EXPECT_EQ(rrs.front().find("sina.com. 3600 IN SOA"), 0u);
    EXPECT_EQ(rrs.back(), rrs.front());
    std::size_t records = 0;
    for (const auto& z : zones_->zone_infos())
        if (z.name == "sina.com") records = z.records;
    EXPECT_EQ(rrs.size(), records + 1);
    // Canonical order after the apex, glue included: NSD's order.
    EXPECT_EQ(rrs[1], "sina.com. 3600 IN NS mail.sina.com.");
    EXPECT_FALSE(r.transfer_in_progress());
}

TEST_F(Transfers, BigZoneIsSplitIntoMessagesOf16K) {
    config::Config c = lab_config();
    for (int i = 0; i < 3000; ++i)
        c.domains[1].records.push_back(
            {"host" + std::to_string(i) + " A 10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), {}});
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    Responder r;
    QueryOpts o;
    o.type = rrtype::AXFR;
    const auto msgs = transfer(r, *b.zones, make_query("bigsky.com", o));
    ASSERT_GT(msgs.size(), 2u);
    std::size_t total = 0;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        EXPECT_LE(msgs[i].bytes.size(), 16384u);
        EXPECT_EQ(msgs[i].qdcount(), i == 0 ? 1 : 0);  // RFC 5936 2.2
        EXPECT_TRUE(msgs[i].aa());
        total += msgs[i].answer().size();
    }
    EXPECT_EQ(total, 3000u + 3 + 1);  // A records, SOA, NS, www A, SOA again
    EXPECT_EQ(msgs.back().answer().back().find("bigsky.com. 3600 IN SOA"), 0u);
}

TEST_F(Transfers, RefusedAndErrors) {
    Responder r;
    QueryOpts o;
    o.type = rrtype::AXFR;
    // Not in allow_transfer: REFUSED.
    EXPECT_EQ(transfer(r, *zones_, make_query("sina.com", o), Transport::tcp, stranger)[0].rcode(), LDNS_RCODE_REFUSED);
    EXPECT_FALSE(r.transfer_in_progress());
    // UDP: NOTIMP as NSD.
    EXPECT_EQ(transfer(r, *zones_, make_query("sina.com", o), Transport::udp)[0].rcode(), LDNS_RCODE_NOTIMPL);
    // Not a zone apex, not ours: NOTAUTH.
    EXPECT_EQ(transfer(r, *zones_, make_query("www.sina.com", o))[0].rcode(), LDNS_RCODE_NOTAUTH);
    EXPECT_EQ(transfer(r, *zones_, make_query("example.org", o))[0].rcode(), LDNS_RCODE_NOTAUTH);
}

TEST_F(Transfers, Ixfr) {
    Responder r;
    // Up to date: the SOA alone.
    auto msgs = transfer(r, *zones_, ixfr("sina.com", 2025010100));
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].answer().size(), 1u);
    EXPECT_TRUE(msgs[0].aa());
    // Older over TCP: the whole zone, AXFR style.
    msgs = transfer(r, *zones_, ixfr("sina.com", 2024010100));
    EXPECT_GT(msgs[0].answer().size(), 10u);
    // Over UDP: the SOA alone, the client goes to TCP (RFC 1995 4).
    msgs = transfer(r, *zones_, ixfr("sina.com", 2024010100), Transport::udp);
    EXPECT_EQ(msgs[0].answer().size(), 1u);
    // Refused as AXFR is.
    msgs = transfer(r, *zones_, ixfr("sina.com", 2024010100), Transport::tcp, stranger);
    EXPECT_EQ(msgs[0].rcode(), LDNS_RCODE_REFUSED);
    // Without the client's SOA: FORMERR.
    QueryOpts o;
    o.type = rrtype::IXFR;
    msgs = transfer(r, *zones_, make_query("sina.com", o));
    EXPECT_EQ(msgs[0].rcode(), LDNS_RCODE_FORMERR);
}

TEST_F(Transfers, NewQueryOrOtherZoneSetAbandonsTheTransfer) {
    config::Config c = lab_config();
    for (int i = 0; i < 3000; ++i) c.domains[1].records.push_back({"h" + std::to_string(i) + " A 10.0.0.1", {}});
    const auto b = build(c);
    Responder r;
    QueryOpts o;
    o.type = rrtype::AXFR;
    r.respond(*b.zones, make_query("bigsky.com", o), {Transport::tcp, allowed});
    ASSERT_TRUE(r.transfer_in_progress());
    EXPECT_TRUE(r.next_transfer_message(*zones_).empty());  // not the same ZoneSet
    EXPECT_FALSE(r.transfer_in_progress());
    r.respond(*b.zones, make_query("bigsky.com", o), {Transport::tcp, allowed});
    ASSERT_TRUE(r.transfer_in_progress());
    r.respond(*b.zones, make_query("www.sina.com"), {Transport::tcp, allowed});
    EXPECT_FALSE(r.transfer_in_progress());
}

}  // namespace
}  // namespace mxlab::dns::test
