// Configs that work but teach the wrong thing (DESIGN.md section 2): they load, with a warning.
#include "helpers.hpp"

namespace mxlab::config::test {
namespace {

using Sev = Diagnostic::Severity;

// Loads, has no error, and has the warning; returns the result for more checks.
LoadResult warns(std::string_view toml, int line, std::string_view key, std::string_view message) {
    auto r = load(toml);
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_NE(find(r, Sev::warning, line, key, message), nullptr)
        << "want line " << line << " key [" << key << "] message [" << message << "]; got:\n"
        << all(r);
    return r;
}

TEST(Warnings, OpenRelay) {
    auto r = warns(R"([appliance]
hostname = "mail.sina.com"
[smtp]
relay = "open"
)", 4, "smtp.relay", "open relay");
    EXPECT_EQ(r.config->smtp.relay, Relay::open);
}

TEST(Warnings, NetworksWithoutNetworks) {
    warns(R"([appliance]
hostname = "mail.sina.com"
[smtp]
relay = "networks"
)", 4, "smtp.relay", "relay_networks is empty");
}

TEST(Warnings, MxIsACname) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
mx = "mx.sina.com"
records = ["mx CNAME mail"]
)", 6, "domain \"sina.com\" mx", "RFC 2181 section 10.3");
}

TEST(Warnings, HostnameUsedAsMxIsACname) {
    // The lab's question: publish the mail host as A or as CNAME? As MX target, A.
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["mail CNAME www", "www A 10.0.1.10"]
)", 2, "appliance.hostname", "is a CNAME");
}

TEST(Warnings, WrittenMxRecordToCnameInAnotherZone) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["@ MX 10 mx.bigsky.com."]
[[domain]]
name = "bigsky.com"
records = ["mx CNAME www", "www A 10.0.2.10"]
)", 6, "domain \"sina.com\" records[1]", "the MX target mx.bigsky.com is a CNAME (domain \"bigsky.com\" records[1])");
}

TEST(Warnings, MailHostWithoutAddress) {
    // mx.bigsky.com lies in a zone of ours, but nothing gives it an A record.
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
mx = "mx.bigsky.com"
[[domain]]
name = "bigsky.com"
)", 6, "domain \"sina.com\" mx", "has no address in the zone bigsky.com");
}

TEST(Warnings, HostnameWithoutAddresses) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = []
[[domain]]
name = "sina.com"
)", 2, "appliance.hostname", "has no address");
}

TEST(Warnings, AddressFromRecordsIsEnough) {
    auto r = load(R"([appliance]
hostname = "mail.sina.com"
addresses = []
[[domain]]
name = "sina.com"
records = ["mail A 10.0.1.10"]
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

TEST(Warnings, MxOutsideOurZonesIsNotOurs) {
    auto r = load(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
mx = "mx.example.net"
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

TEST(Warnings, ResolverIsOurOwnAddress) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
resolvers = ["10.0.2.10", "10.0.1.10"]
)", 5, "dns.resolvers[2]", "is this appliance itself");
}

TEST(Warnings, ResolverIsLoopbackOnOurPort) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[ports]
dns = 10053
[dns]
resolvers = ["127.0.0.1:10053"]
)", 7, "dns.resolvers[1]", "is this appliance itself");
}

TEST(Warnings, OtherLoopbackApplianceIsNotUs) {
    // Two appliances on one machine (lab/README.md): 127.0.2.10 is B, not A.
    auto r = load(R"([appliance]
hostname = "mail.sina.com"
addresses = ["127.0.1.10"]
listen = ["127.0.1.10"]
[dns]
resolvers = ["127.0.2.10"]
[[domain]]
name = "sina.com"
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

TEST(Warnings, ResolverOnAnotherPortIsNotUs) {
    auto r = load(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
resolvers = ["127.0.0.1:5353"]
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

}  // namespace
}  // namespace mxlab::config::test
