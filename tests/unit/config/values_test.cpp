// Values as written in the TOML: sizes, durations, addresses, prefixes, endpoints, diagnostics.
#include "helpers.hpp"

namespace mxlab::config::test {
namespace {

TEST(Size, SuffixesArePowersOf1024) {
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("512"), 512u);
    EXPECT_EQ(parse_size("100K"), 102400u);
    EXPECT_EQ(parse_size("25M"), 25ull * 1024 * 1024);
    EXPECT_EQ(parse_size("25m"), 25ull * 1024 * 1024);
    EXPECT_EQ(parse_size("2G"), 2ull << 30);
}

TEST(Size, RejectsWhatIsNotASize) {
    for (auto s : {"", "M", "25MB", "2.5M", "-1", "+5", " 5", "5 M", "25T", "99999999999999999999",
                   "17179869184G"})
        EXPECT_FALSE(parse_size(s)) << s;
}

TEST(Duration, Units) {
    using std::chrono::seconds;
    EXPECT_EQ(parse_duration("30"), seconds{30});
    EXPECT_EQ(parse_duration("30s"), seconds{30});
    EXPECT_EQ(parse_duration("5m"), seconds{300});
    EXPECT_EQ(parse_duration("2h"), seconds{7200});
    EXPECT_EQ(parse_duration("2d"), seconds{172800});
    for (auto s : {"", "s", "5 m", "5w", "1.5h", "-5s", "5ms", "99999999999999999999d"})
        EXPECT_FALSE(parse_duration(s)) << s;
}

TEST(IpAddr, ParseAndPrint) {
    auto v4 = IpAddr::parse("10.0.1.10");
    ASSERT_TRUE(v4);
    EXPECT_FALSE(v4->v6);
    EXPECT_EQ(v4->str(), "10.0.1.10");
    auto v6 = IpAddr::parse("FD00:0:0::1");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->v6);
    EXPECT_EQ(v6->str(), "fd00::1");
    for (auto s : {"", "10.0.1", "10.0.1.256", "10.0.1.10/24", "localhost", "fe80::1%eth0", " 10.0.0.1", ":::"})
        EXPECT_FALSE(IpAddr::parse(s)) << s;
    EXPECT_TRUE(IpAddr::parse("127.0.2.10")->is_loopback());
    EXPECT_TRUE(IpAddr::parse("::1")->is_loopback());
    EXPECT_TRUE(IpAddr::parse("::ffff:127.0.0.1")->is_loopback());
    EXPECT_FALSE(IpAddr::parse("10.0.1.10")->is_loopback());
    EXPECT_TRUE(IpAddr::parse("0.0.0.0")->is_unspecified());
    EXPECT_TRUE(IpAddr::parse("::")->is_unspecified());
    EXPECT_FALSE(IpAddr::parse("::1")->is_unspecified());
}

TEST(Cidr, ParseContainsPrint) {
    auto net = Cidr::parse("10.0.0.0/8");
    ASSERT_TRUE(net);
    EXPECT_EQ(net->prefix, 8);
    EXPECT_TRUE(net->contains(*IpAddr::parse("10.200.1.1")));
    EXPECT_FALSE(net->contains(*IpAddr::parse("11.0.0.1")));
    EXPECT_FALSE(net->contains(*IpAddr::parse("::a00:1")));  // other family
    EXPECT_EQ(net->str(), "10.0.0.0/8");
    auto odd = Cidr::parse("10.0.1.128/25");
    ASSERT_TRUE(odd);
    EXPECT_TRUE(odd->contains(*IpAddr::parse("10.0.1.200")));
    EXPECT_FALSE(odd->contains(*IpAddr::parse("10.0.1.100")));
    auto host = Cidr::parse("10.0.1.10");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->prefix, 32);
    EXPECT_EQ(host->str(), "10.0.1.10/32");
    auto v6 = Cidr::parse("fd00::/8");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains(*IpAddr::parse("fdff::1")));
    EXPECT_FALSE(v6->contains(*IpAddr::parse("fe00::1")));
    EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(*IpAddr::parse("1.2.3.4")));
    for (auto s : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "::/129", "10.0.0.0/08x"})
        EXPECT_FALSE(Cidr::parse(s)) << s;
}

TEST(Endpoint, ParseAndPrint) {
    auto e = Endpoint::parse("10.0.2.10");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->port, 53);
    EXPECT_EQ(e->str(), "10.0.2.10:53");
    EXPECT_EQ(Endpoint::parse("127.0.0.1:10053")->port, 10053);
    auto v6 = Endpoint::parse("[::1]:5353");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->addr.v6);
    EXPECT_EQ(v6->port, 5353);
    EXPECT_EQ(v6->str(), "[::1]:5353");
    EXPECT_EQ(Endpoint::parse("::1")->port, 53);
    EXPECT_EQ(Endpoint::parse("[fd00::1]")->port, 53);
    for (auto s : {"", "10.0.2.10:", "10.0.2.10:0", "10.0.2.10:65536", "[::1]:", "[::1", "[10.0.0.1]:53",
                   "host:53", "[::1]x53", "10.0.2.10:5x"})
        EXPECT_FALSE(Endpoint::parse(s)) << s;
}

TEST(Format, FileLineColumnSeverityKeyMessage) {
    Diagnostic d{Diagnostic::Severity::error, {12, 5}, "smtp.relay", "expected one of ..."};
    EXPECT_EQ(format("/etc/mxlab/mxlab.toml", d), "/etc/mxlab/mxlab.toml:12:5: error: smtp.relay: expected one of ...");
    d.severity = Diagnostic::Severity::warning;
    d.pos = {};
    EXPECT_EQ(format("a.toml", d), "a.toml: warning: smtp.relay: expected one of ...");
    d.key.clear();
    d.pos = {3, 9};
    EXPECT_EQ(format("a.toml", d), "a.toml:3:9: warning: expected one of ...");
}

TEST(Enums, Names) {
    EXPECT_EQ(to_string(Relay::none), "none");
    EXPECT_EQ(to_string(Relay::authenticated), "authenticated");
    EXPECT_EQ(to_string(Relay::networks), "networks");
    EXPECT_EQ(to_string(Relay::open), "open");
    EXPECT_EQ(to_string(LogLevel::warn), "warn");
    EXPECT_EQ(to_string(LogLevel::debug), "debug");
}

TEST(Interfaces, NoLoopbackNoLinkLocal) {
    for (const auto& a : interface_addresses()) {
        EXPECT_FALSE(a.is_loopback()) << a.str();
        EXPECT_FALSE(a.v6 && a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) << a.str();
    }
}

}  // namespace
}  // namespace mxlab::config::test
