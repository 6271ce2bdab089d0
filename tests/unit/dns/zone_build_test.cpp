// Zone building from the config: generated records, replacement by explicit ones, RFC 1034/2181 checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/wire.hpp"
#include "dns/zone_data.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> texts(const LookupResult& r) {
    std::vector<std::string> out;
    for (const auto& rec : r.records) out.push_back(rec.rdata);
    return out;
}

config::Config small(std::vector<std::string> records) {
    config::Config c = lab_config();
    c.domains.resize(1);
    c.domains[0].records.clear();
    int line = 1;
    for (auto& r : records) c.domains[0].records.push_back({r, {line++, 3}});
    return c;
}

// A config's diagnostics, one a line, for a failed assertion.
std::string diagnostics(const config::LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += config::format("test.toml", d) + "\n";
    return s;
}

std::string first_error(const config::Config& c) {
    const auto b = build(c);
    return b.errors.empty() ? std::string() : b.errors.front();
}

TEST(ZoneBuild, GeneratedRecords) {
    // DESIGN.md 3 "Generated records".
    const auto b = build(small({}));
    ASSERT_TRUE(b.errors.empty());
    const ZoneSet& z = *b.zones;
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::SOA)),
                ElementsAre("mail.sina.com. hostmaster.sina.com. 2025010100 3600 900 604800 300"));
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::NS)), ElementsAre("mail.sina.com."));
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::MX)), ElementsAre("10 mail.sina.com."));
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::TXT)), ElementsAre("\"v=spf1 mx -all\""));
    EXPECT_THAT(texts(z.lookup("mail.sina.com", rrtype::A)), ElementsAre("10.0.1.10"));
    EXPECT_THAT(texts(z.lookup("mail.sina.com", rrtype::AAAA)), ElementsAre("fd00::10"));
    EXPECT_EQ(z.lookup("sina.com", rrtype::SOA).records[0].ttl, 3600u);
}

TEST(ZoneBuild, DefaultTtlApplies) {
    config::Config c = small({"www A 10.0.1.20", "ttl 60 A 10.0.1.21"});
    c.dns.default_ttl = 120;
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    EXPECT_EQ(b.zones->lookup("sina.com", rrtype::NS).records[0].ttl, 120u);
    EXPECT_EQ(b.zones->lookup("sina.com", rrtype::SOA).records[0].ttl, 120u);
    EXPECT_EQ(b.zones->lookup("www.sina.com", rrtype::A).records[0].ttl, 120u);
    EXPECT_EQ(b.zones->lookup("ttl.sina.com", rrtype::A).records[0].ttl, 60u);
}

TEST(ZoneBuild, MailFalseGeneratesNoMailRecordsAndHostOutsideGetsNoAddress) {
    config::Config c = small({});
    c.domains[0].name = "bigsky.com";
    c.domains[0].mail = false;
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    EXPECT_EQ(b.zones->lookup("bigsky.com", rrtype::MX).status, LookupStatus::nodata);
    EXPECT_EQ(b.zones->lookup("bigsky.com", rrtype::TXT).status, LookupStatus::nodata);
    EXPECT_THAT(texts(b.zones->lookup("bigsky.com", rrtype::NS)), ElementsAre("mail.sina.com."));
    EXPECT_EQ(b.zones->lookup("mail.sina.com", rrtype::A).status, LookupStatus::not_ours);
}

TEST(ZoneBuild, SeparateMxHostGetsItsAddresses) {
    config::Config c = small({});
    c.domains[0].mx = "mx.sina.com";
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    EXPECT_THAT(texts(b.zones->lookup("sina.com", rrtype::MX)), ElementsAre("10 mx.sina.com."));
    EXPECT_THAT(texts(b.zones->lookup("mx.sina.com", rrtype::A)), ElementsAre("10.0.1.10"));
    EXPECT_THAT(texts(b.zones->lookup("mail.sina.com", rrtype::A)), ElementsAre("10.0.1.10"));
}

TEST(ZoneBuild, ExplicitRecordsReplaceGeneratedOfSameOwnerAndType) {
    const auto b = build(small({"@ MX 20 mx2.sina.com.", "@ MX 30 mx3.sina.com.", "mail A 10.0.1.11",
                                "@ NS ns1.other.net.", "@ TXT \"v=spf1 -all\""}));
    ASSERT_TRUE(b.errors.empty()) << b.errors.front();
    const ZoneSet& z = *b.zones;
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::MX)), ElementsAre("20 mx2.sina.com.", "30 mx3.sina.com."));
    EXPECT_THAT(texts(z.lookup("mail.sina.com", rrtype::A)), ElementsAre("10.0.1.11"));
    EXPECT_THAT(texts(z.lookup("mail.sina.com", rrtype::AAAA)), ElementsAre("fd00::10"));  // not replaced
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::NS)), ElementsAre("ns1.other.net."));
    EXPECT_THAT(texts(z.lookup("sina.com", rrtype::TXT)), ElementsAre("\"v=spf1 -all\""));
}

TEST(ZoneBuild, ExplicitCnameReplacesGeneratedAddressesAtItsName) {
    // The lab asks whether to publish the mail host as A or CNAME: both must load.
    const auto b = build(small({"www A 10.0.1.20", "mail CNAME www"}));
    ASSERT_TRUE(b.errors.empty()) << b.errors.front();
    const auto r = b.zones->lookup("mail.sina.com", rrtype::A);
    EXPECT_EQ(r.status, LookupStatus::ok);
    ASSERT_EQ(r.cnames.size(), 1u);
    EXPECT_EQ(r.cnames[0].target, "www.sina.com");
    EXPECT_THAT(texts(r), ElementsAre("10.0.1.20"));
}

TEST(ZoneBuild, ExplicitSoaKeepsItsFieldsButTheSerialIsManaged) {
    const auto b = build(small({"@ SOA ns.sina.com. admin.sina.com. 7 7200 600 86400 60"}));
    ASSERT_TRUE(b.errors.empty());
    EXPECT_THAT(texts(b.zones->lookup("sina.com", rrtype::SOA)),
                ElementsAre("ns.sina.com. admin.sina.com. 2025010100 7200 600 86400 60"));
    EXPECT_EQ(b.zones->lookup("nx.sina.com", rrtype::A).negative_ttl, 60u);
}

TEST(ZoneBuild, NamesAreCaseInsensitiveAndDuplicatesMerge) {
    const auto b = build(small({"WWW A 10.0.1.20", "www A 10.0.1.20", "www A 10.0.1.21", "x MX 5 WWW"}));
    ASSERT_TRUE(b.errors.empty());
    EXPECT_THAT(texts(b.zones->lookup("Www.Sina.Com", rrtype::A)), ElementsAre("10.0.1.20", "10.0.1.21"));
    EXPECT_THAT(texts(b.zones->lookup("x.sina.com", rrtype::MX)), ElementsAre("5 www.sina.com."));
}

TEST(ZoneBuild, ReverseZone) {
    config::Config c = small({"10 PTR mail.sina.com.", "20 PTR www.sina.com."});
    c.domains[0].name = "1.0.10.in-addr.arpa";
    c.domains[0].mail = false;
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    const auto r = b.zones->lookup("10.1.0.10.in-addr.arpa", rrtype::PTR);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].target, "mail.sina.com");
    EXPECT_THAT(texts(b.zones->lookup("1.0.10.in-addr.arpa", rrtype::SOA)),
                ElementsAre("mail.sina.com. hostmaster.1.0.10.in-addr.arpa. 2025010100 3600 900 604800 300"));
}

TEST(ZoneBuild, CnameAndOtherDataIsAnError) {
    // RFC 1034 3.6.2.
    const std::string e = first_error(small({"www A 10.0.1.20", "www CNAME ftp"}));
    EXPECT_EQ(e,
              "zone sina.com: www.sina.com has CNAME and other data (A); a CNAME must be the only record at its name");
    EXPECT_THAT(first_error(small({"@ CNAME www"})), HasSubstr("sina.com has CNAME and other data (SOA, NS, MX, TXT)"));
    EXPECT_THAT(first_error(small({"x CNAME a", "x CNAME b"})), HasSubstr("x.sina.com has more than one CNAME"));
}

TEST(ZoneBuild, BadRecordsAreErrorsWithTheirLine) {
    EXPECT_THAT(first_error(small({"www A 10.0.1.300"})), HasSubstr("zone sina.com: line 1: \"www A 10.0.1.300\": "));
    EXPECT_THAT(first_error(small({"www.other.org. A 10.0.1.1"})), HasSubstr("www.other.org. is outside the zone"));
    EXPECT_THAT(first_error(small({"www SOA a. b. 1 2 3 4 5"})), HasSubstr("SOA is only allowed at the apex"));
    EXPECT_THAT(first_error(small({"x DNAME y"})), HasSubstr("DNAME is not supported"));
    EXPECT_THAT(first_error(small({"www CH A 10.0.1.1"})), HasSubstr("only class IN"));
    EXPECT_THAT(first_error(small({""})), HasSubstr("empty record"));
    config::Config twice = small({});
    twice.domains.push_back(twice.domains[0]);
    twice.domains[1].name = "SINA.com";
    EXPECT_THAT(first_error(twice), HasSubstr("defined twice"));
}

TEST(ZoneBuild, AllErrorsAreReported) {
    const auto b = build(small({"www A 10.0.1.300", "x A 1.2.3.4", "www.other.org. A 10.0.1.1"}));
    EXPECT_EQ(b.errors.size(), 2u);
    EXPECT_FALSE(b.zones);
}

TEST(ZoneBuild, ContentHashIgnoresOrderAndSerial) {
    std::vector<std::string> errors;
    auto a = zones_from_config(small({"www A 10.0.1.20", "ftp CNAME www"}), errors);
    auto b = zones_from_config(small({"ftp CNAME www", "www A 10.0.1.20"}), errors);
    auto c = zones_from_config(small({"www A 10.0.1.21", "ftp CNAME www"}), errors);
    ASSERT_TRUE(errors.empty());
    EXPECT_EQ(a[0].content_hash, b[0].content_hash);
    EXPECT_NE(a[0].content_hash, c[0].content_hash);
    const auto before = content_hash(a[0]);
    set_serial(a[0], 12345);
    EXPECT_EQ(content_hash(a[0]), before);
}

TEST(ZoneBuild, RecordsParsedAtLoadBuildTheZonesTheirTextBuilds) {
    // A loaded config hands over what each line parsed into (Record::wire_len,
    // Domain::records_wire); a Config made by hand has only the text. Both
    // must give the same zones, names and RDATA lower-cased alike.
    const auto loaded = config::load_string(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10", "fd00::10"]
data_dir = "/nonexistent/mxlab"
[dns]
default_ttl = 600
[[domain]]
name = "sina.com"
records = [
  "www A 10.0.1.20", "WWW A 10.0.1.21", "v6 AAAA FD00::20", "ttl 60 A 10.0.1.22", "x 300 IN A 10.0.1.23",
  "  lead A 10.0.1.24", "trail A 10.0.1.25   ", "Abs.Sina.COM. A 10.0.1.26", "@ MX 20 Mail2.Sina.Com.",
  "mail2 A 10.0.1.27", "@ TXT \"hello world\" \"two\"", "_sip._tcp SRV 10 5 5060 WWW", "*.wild A 10.0.1.28",
  "@ CAA 0 issue \"letsencrypt.org\"", "ftp CNAME www", "sub NS ns.sub", "ns.sub A 10.0.1.29", "txt TXT two words",
  "@ SOA ns.sina.com. Admin.Sina.com. 1 7200 900 1209600 60",
]
[[domain]]
name = "1.0.10.in-addr.arpa"
mail = false
records = ["10 PTR Mail.Sina.Com.", "20 PTR www.sina.com."]
)",
                                            "/etc/mxlab/test.toml");
    ASSERT_TRUE(loaded.ok()) << diagnostics(loaded);
    const config::Config& parsed = *loaded.config;
    config::Config text = parsed;
    for (auto& d : text.domains) {
        for (auto& rec : d.records) rec.wire_len = 0;
        d.records_wire.clear();
    }
    for (const auto& d : parsed.domains)
        for (const auto& rec : d.records)
            if (!rec.text.ends_with(' ')) {
                ASSERT_GT(rec.wire_len, 0u) << rec.text;
            }
    const auto a = build(parsed);
    const auto b = build(text);
    ASSERT_TRUE(a.errors.empty() && b.errors.empty());
    for (const char* zone : {"sina.com", "1.0.10.in-addr.arpa"})
        EXPECT_EQ(zone_text(*a.zones, zone), zone_text(*b.zones, zone)) << zone;
    std::vector<std::string> errors;
    const auto za = zones_from_config(parsed, errors);
    const auto zb = zones_from_config(text, errors);
    ASSERT_EQ(za.size(), 2u);
    ASSERT_EQ(zb.size(), 2u);
    for (std::size_t i = 0; i < za.size(); ++i) {
        EXPECT_EQ(za[i].content_hash, zb[i].content_hash);
        EXPECT_EQ(za[i].bytes, zb[i].bytes);
    }
}

TEST(ZoneBuild, RecordsParsedAtLoadKeepTheirErrors) {
    // What config accepts but a zone refuses is still refused, with the same words.
    const char* toml = R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["www SOA a.sina.com. b.sina.com. 1 2 3 4 5", "x DNAME sina.com."]
)";
    const auto loaded = config::load_string(toml, "/etc/mxlab/test.toml");
    ASSERT_TRUE(loaded.ok()) << diagnostics(loaded);
    config::Config text = *loaded.config;
    for (auto& rec : text.domains[0].records) rec.wire_len = 0;
    const auto a = build(*loaded.config);
    EXPECT_EQ(a.errors, build(text).errors);
    ASSERT_EQ(a.errors.size(), 2u);
    EXPECT_THAT(a.errors[0], HasSubstr("SOA is only allowed at the apex"));
    EXPECT_THAT(a.errors[1], HasSubstr("DNAME is not supported"));
}

}  // namespace
}  // namespace mxlab::dns::test
