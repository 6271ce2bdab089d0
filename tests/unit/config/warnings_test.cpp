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

// Loads with no diagnostic at all; returns the result for more checks.
LoadResult quiet(std::string_view toml) {
    auto r = load(toml);
    EXPECT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << toml << "\n" << all(r);
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
    quiet(R"([appliance]
hostname = "mail.sina.com"
addresses = []
[[domain]]
name = "sina.com"
records = ["mail A 10.0.1.10"]
[domain.users]
Bob = "x"
)");
}

TEST(Warnings, MxOutsideOurZonesIsNotOurs) {
    auto r = quiet(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
mx = "mx.example.net"
[domain.users]
Bob = "x"
)");
    // Not ours: whether it resolves is for `mxlab check` to ask.
    ASSERT_EQ(r.foreign_hosts.size(), 1u);
    EXPECT_EQ(r.foreign_hosts[0].name, "mx.example.net");
    EXPECT_EQ(r.foreign_hosts[0].key, "domain \"sina.com\" mx");
    EXPECT_EQ(r.foreign_hosts[0].pos.line, 6);
}

TEST(Warnings, ResolverIsOurOwnAddress) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
resolvers = ["10.0.2.10", "10.0.1.10"]
)", 5, "dns.resolvers[2]", "is this appliance itself");
}

TEST(Warnings, RecursionWithoutResolvers) {
    warns(R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = ["10.0.1.0/24"]
)", 4, "dns.recursion", "get SERVFAIL");
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
    quiet(R"([appliance]
hostname = "mail.sina.com"
addresses = ["127.0.1.10"]
listen = ["127.0.1.10"]
[dns]
resolvers = ["127.0.2.10"]
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
)");
}

TEST(Warnings, ResolverOnAnotherPortIsNotUs) {
    quiet(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
resolvers = ["127.0.0.1:5353"]
)");
}

// Issue 13, item 5: a name written like an absolute one without its trailing
// dot has the zone appended (RFC 1035 section 5.1).
TEST(Warnings, OwnerLooksAbsoluteWithoutTrailingDot) {
    auto r = warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["mail A 10.0.1.10",
           "www.sina.com A 10.0.1.20"]
[domain.users]
Bob = "x"
)", 7, "domain \"sina.com\" records[2]",
                   "www.sina.com has no trailing dot, so it is relative to the zone and means www.sina.com.sina.com; "
                   "write \"www\" or \"www.sina.com.\"");
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
}

TEST(Warnings, ApexOwnerWithoutTrailingDotSuggestsAt) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["sina.com TXT \"v=spf1 mx -all\""]
[domain.users]
Bob = "x"
)", 6, "records[1]", "means sina.com.sina.com; write \"@\" or \"sina.com.\"");
}

TEST(Warnings, CnameTargetWithoutTrailingDot) {
    warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20", "ftp CNAME www.sina.com"]
[domain.users]
Bob = "x"
)", 6, "records[2]",
          "the CNAME target www.sina.com has no trailing dot, so it is relative to the zone and means "
          "www.sina.com.sina.com; write \"www\" or \"www.sina.com.\"");
}

TEST(Warnings, MxHostInAnotherOfOurZonesWithoutTrailingDot) {
    // Only this warning: "mx.bigsky.com.sina.com has no address" would repeat it.
    auto r = warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["@ MX 10 mx.bigsky.com"]
[domain.users]
Bob = "x"
[[domain]]
name = "bigsky.com"
records = ["mx A 10.0.2.10"]
[domain.users]
WFisk = "x"
)", 6, "records[1]", "the MX host mx.bigsky.com has no trailing dot, so it is relative to the zone and means "
                     "mx.bigsky.com.sina.com; write \"mx.bigsky.com.\"");
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
}

TEST(Warnings, RelativeAndAbsoluteNamesAsMeant) {
    quiet(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20", "ftp CNAME www", "web CNAME www.sina.com.", "@ MX 10 mail",
           "www.sina.com. TXT \"x\"", "sina CNAME www"]
[domain.users]
Bob = "x"
)");
}

TEST(Warnings, MailDomainWithNobody) {
    auto r = warns(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20"]
)", 5, "domain \"sina.com\" name",
                   "sina.com takes mail but has no users and no postmaster, so mail to postmaster@sina.com (which "
                   "RFC 5321 section 4.5.1 requires to work) is refused; add a user under [domain.users], or an alias "
                   "postmaster = \"you@another.domain\" under [domain.aliases], or set mail = false if the domain is "
                   "for DNS only");
    EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
}

TEST(Warnings, PostmasterAliasOrDnsOnlyIsEnough) {
    for (std::string_view rest : {"[domain.aliases]\npostmaster = \"wfisk@bigsky.com\"\n", "mail = false\n"}) {
        quiet(std::string(R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
)") + std::string(rest));
    }
}

TEST(Warnings, ForeignHostnameIsListedOnce) {
    // mail.sina.con is a typo: no zone here has it, so check asks DNS about it.
    auto r = load(R"([appliance]
hostname = "mail.sina.con"
addresses = ["10.0.1.10"]
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
[[domain]]
name = "bigsky.com"
records = ["@ MX 10 mx.example.net.", "@ MX 20 mail.sina.con."]
[domain.users]
WFisk = "x"
)");
    ASSERT_TRUE(r.ok()) << all(r);
    ASSERT_EQ(r.foreign_hosts.size(), 2u);
    EXPECT_EQ(r.foreign_hosts[0].name, "mail.sina.con");
    EXPECT_EQ(r.foreign_hosts[0].key, "appliance.hostname");
    EXPECT_EQ(r.foreign_hosts[0].pos.line, 2);
    EXPECT_EQ(r.foreign_hosts[1].name, "mx.example.net");
    EXPECT_EQ(r.foreign_hosts[1].pos.line, 10);
}

}  // namespace
}  // namespace mxlab::config::test
