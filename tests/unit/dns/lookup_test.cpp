// Lookups for the mail side's resolver: MX and addresses from our own zones, CNAMEs, negative answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

class Lookup : public ::testing::Test {
protected:
    static void SetUpTestSuite() { zones_ = build(lab_config()).zones; }
    static void TearDownTestSuite() { zones_.reset(); }
    static inline std::shared_ptr<const ZoneSet> zones_;
};

TEST_F(Lookup, MxOfOurDomain) {
    const auto r = zones_->lookup_mx("Sina.Com.");
    EXPECT_EQ(r.status, LookupStatus::ok);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].preference, 10);
    EXPECT_EQ(r.records[0].target, "mail.sina.com");
    EXPECT_EQ(r.records[0].owner, "sina.com");
    EXPECT_EQ(r.records[0].rdata, "10 mail.sina.com.");
    EXPECT_EQ(r.canonical, "sina.com");
}

TEST_F(Lookup, MxSortedByPreference) {
    const auto r = zones_->lookup_mx("mxs.sina.com");
    ASSERT_EQ(r.records.size(), 12u);
    for (std::size_t i = 1; i < r.records.size(); ++i) EXPECT_LE(r.records[i - 1].preference, r.records[i].preference);
}

TEST_F(Lookup, NullMx) {
    // RFC 7505: "MX 0 ." has the root as target, which the mail side bounces on.
    config::Config c = lab_config();
    c.domains[1].records.push_back({"@ MX 0 .", {}});
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    const auto r = b.zones->lookup_mx("bigsky.com");
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].preference, 0);
    EXPECT_EQ(r.records[0].target, "");
}

TEST_F(Lookup, AddressesOfAHost) {
    const auto r = zones_->lookup_addresses("mail.sina.com");
    EXPECT_EQ(r.status, LookupStatus::ok);
    ASSERT_EQ(r.records.size(), 2u);
    ASSERT_TRUE(r.records[0].address);
    EXPECT_EQ(*r.records[0].address, v4(10, 0, 1, 10));
    EXPECT_EQ(*r.records[1].address, v6({0xfd00, 0x10}));
    const auto v4only = zones_->lookup_addresses("sip.sina.com");
    EXPECT_EQ(v4only.status, LookupStatus::ok);
    EXPECT_EQ(v4only.records.size(), 1u);
    const auto none = zones_->lookup_addresses("sina.com");
    EXPECT_EQ(none.status, LookupStatus::nodata);
    EXPECT_EQ(none.negative_ttl, 300u);
}

TEST_F(Lookup, CnamesAreFollowed) {
    auto r = zones_->lookup("ftp.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::ok);
    ASSERT_EQ(r.cnames.size(), 1u);
    EXPECT_EQ(r.cnames[0].target, "www.sina.com");
    EXPECT_EQ(r.canonical, "www.sina.com");
    r = zones_->lookup("ext.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::ok);
    EXPECT_EQ(r.canonical, "www.bigsky.com");
    // Out of our zones: the resolver continues with the canonical name.
    r = zones_->lookup("out.sina.com", rrtype::MX);
    EXPECT_EQ(r.status, LookupStatus::not_ours);
    EXPECT_EQ(r.canonical, "www.example.org");
    EXPECT_EQ(r.cnames.size(), 1u);
    r = zones_->lookup("loop1.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::cname_loop);
}

TEST_F(Lookup, NegativeAndForeign) {
    auto r = zones_->lookup("nx.sina.com", rrtype::MX);
    EXPECT_EQ(r.status, LookupStatus::nxdomain);
    EXPECT_EQ(r.negative_ttl, 300u);
    r = zones_->lookup("www.sina.com", rrtype::MX);
    EXPECT_EQ(r.status, LookupStatus::nodata);
    r = zones_->lookup("example.org", rrtype::MX);
    EXPECT_EQ(r.status, LookupStatus::not_ours);
    r = zones_->lookup("a..b", rrtype::MX);
    EXPECT_EQ(r.status, LookupStatus::not_ours);
    r = zones_->lookup("host.sub.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::delegated);
    ASSERT_EQ(r.referral.size(), 1u);
    EXPECT_EQ(r.referral[0].target, "ns.sub.sina.com");
    r = zones_->lookup("x.wild.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::ok);
    EXPECT_EQ(r.records[0].owner, "x.wild.sina.com");
}

TEST_F(Lookup, ServesAndZoneInfos) {
    EXPECT_TRUE(zones_->serves("sina.com"));
    EXPECT_TRUE(zones_->serves("anything.below.sina.com"));
    EXPECT_TRUE(zones_->serves("10.1.0.10.in-addr.arpa."));
    EXPECT_FALSE(zones_->serves("xsina.com"));
    EXPECT_FALSE(zones_->serves("com"));
    const auto infos = zones_->zone_infos();
    ASSERT_EQ(infos.size(), 3u);
    EXPECT_EQ(infos[0].name, "sina.com");
    EXPECT_EQ(infos[0].serial, 2025010100u);
    EXPECT_EQ(infos[2].records, 3u);  // SOA, NS, PTR
}

}  // namespace
}  // namespace mxlab::dns::test
