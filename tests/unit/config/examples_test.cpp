// Every shipped example loads: students and the package start from these files.
#include <filesystem>

#include "helpers.hpp"

namespace mxlab::config::test {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(MXLAB_SOURCE_DIR) / "config" / "examples";

TEST(Examples, EveryExampleLoadsWithoutErrors) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(kExamples)) {
        if (e.path().extension() != ".toml") continue;
        ++n;
        auto r = load_file(e.path());
        EXPECT_TRUE(r.ok()) << e.path() << "\n" << all(r);
        EXPECT_EQ(count(r, Diagnostic::Severity::error), 0u) << e.path() << "\n" << all(r);
    }
    EXPECT_GE(n, 4);
}

TEST(Examples, DevHasNoWarningsAndBothLabDomains) {
    auto r = load_file(kExamples / "dev.toml");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.appliance.hostname, "mail.sina.com");
    EXPECT_EQ(c.appliance.listen, std::vector{*IpAddr::parse("127.0.0.1")});
    EXPECT_EQ(c.ports.dns, 10053);
    EXPECT_EQ(c.ports.https, 10443);
    // "../../.dev-data" is relative to the file: the repository's own .dev-data.
    EXPECT_EQ(c.appliance.data_dir, (std::filesystem::path(MXLAB_SOURCE_DIR) / ".dev-data").lexically_normal());
    EXPECT_EQ(c.tls.cert, c.appliance.data_dir / "tls" / "cert.pem");
    ASSERT_NE(c.find_domain("sina.com"), nullptr);
    ASSERT_NE(c.find_domain("bigsky.com"), nullptr);
    EXPECT_EQ(c.find_domain("sina.com")->users.size(), 6u);
    EXPECT_EQ(c.find_domain("bigsky.com")->users.size(), 20u);
    EXPECT_EQ(c.find_domain("sina.com")->users.front().name, "xyz");  // the file's order
}

TEST(Examples, LabPairPointsAtEachOther) {
    auto a = load_file(kExamples / "lab-sina.toml");
    auto b = load_file(kExamples / "lab-bigsky.toml");
    ASSERT_TRUE(a.ok()) << all(a);
    ASSERT_TRUE(b.ok()) << all(b);
    EXPECT_TRUE(a.diagnostics.empty()) << all(a);
    EXPECT_TRUE(b.diagnostics.empty()) << all(b);
    EXPECT_EQ(a.config->dns.resolvers, std::vector{*Endpoint::parse("10.0.2.10")});
    EXPECT_EQ(b.config->dns.resolvers, std::vector{*Endpoint::parse("10.0.1.10")});
    // The lab's PCs, in either enterprise's network, may use either server as their DNS server.
    const std::vector lab{*Cidr::parse("10.0.1.0/24"), *Cidr::parse("10.0.2.0/24")};
    EXPECT_EQ(a.config->dns.recursion, lab);
    EXPECT_EQ(b.config->dns.recursion, lab);
    EXPECT_EQ(a.config->appliance.addresses, std::vector{*IpAddr::parse("10.0.1.10")});
    EXPECT_EQ(b.config->appliance.hostname, "mail.bigsky.com");
    EXPECT_EQ(b.config->domains.at(0).users.size(), 20u);
}

// The README's one-machine lab: each appliance on its own loopback address,
// asking the other, on port 25 (where A's queue delivers), with its own data_dir.
TEST(Examples, LoopbackPairPointsAtEachOther) {
    auto a = load_file(kExamples / "lab-a-loopback.toml");
    auto b = load_file(kExamples / "lab-b-loopback.toml");
    ASSERT_TRUE(a.ok()) << all(a);
    ASSERT_TRUE(b.ok()) << all(b);
    EXPECT_TRUE(a.diagnostics.empty()) << all(a);
    EXPECT_TRUE(b.diagnostics.empty()) << all(b);
    const auto a_addr = *IpAddr::parse("127.0.1.10");
    const auto b_addr = *IpAddr::parse("127.0.2.10");
    EXPECT_EQ(a.config->appliance.listen, std::vector{a_addr});
    EXPECT_EQ(b.config->appliance.listen, std::vector{b_addr});
    EXPECT_EQ(a.config->appliance.addresses, std::vector{a_addr});
    EXPECT_EQ(b.config->appliance.addresses, std::vector{b_addr});
    EXPECT_EQ(a.config->dns.resolvers, std::vector{*Endpoint::parse("127.0.2.10:53")});
    EXPECT_EQ(b.config->dns.resolvers, std::vector{*Endpoint::parse("127.0.1.10:53")});
    EXPECT_EQ(a.config->ports.smtp, 25);
    EXPECT_EQ(b.config->ports.smtp, 25);
    EXPECT_NE(a.config->appliance.data_dir, b.config->appliance.data_dir);
    EXPECT_EQ(a.config->find_domain("sina.com")->users.size(), 6u);
    EXPECT_EQ(b.config->find_domain("bigsky.com")->users.size(), 20u);
    EXPECT_EQ(a.config->find_domain("bigsky.com"), nullptr);
    EXPECT_EQ(b.config->find_domain("sina.com"), nullptr);
}

TEST(Examples, DefaultConfigUsesInterfaceAddresses) {
    auto r = load_file(kExamples / "mxlab.toml");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.config->appliance.addresses_from_interfaces);
    EXPECT_EQ(r.config->appliance.addresses, interface_addresses());
    EXPECT_EQ(r.config->appliance.data_dir, "/var/lib/mxlab");
}

}  // namespace
}  // namespace mxlab::config::test
