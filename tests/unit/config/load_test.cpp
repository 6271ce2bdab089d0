// Loading good configs: defaults, where relative paths lead, names in any case.
#include "helpers.hpp"

namespace mxlab::config::test {
namespace {

constexpr std::string_view kMinimal = R"(
[appliance]
hostname = "mail.sina.com"

[[domain]]
name = "sina.com"
)";

TEST(Defaults, EveryKeyOfSchemaV1) {
    auto r = load(kMinimal);
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.file, "/etc/mxlab/test.toml");
    EXPECT_TRUE(c.appliance.addresses_from_interfaces);
    EXPECT_EQ(c.appliance.addresses, interface_addresses());
    EXPECT_EQ(c.appliance.listen, (std::vector{*IpAddr::parse("0.0.0.0"), *IpAddr::parse("::")}));
    EXPECT_EQ(c.appliance.data_dir, "/var/lib/mxlab");
    EXPECT_EQ(c.appliance.log_level, LogLevel::info);
    EXPECT_TRUE(c.services.dns && c.services.smtp && c.services.submission && c.services.pop3 && c.services.imap &&
                c.services.web);
    EXPECT_EQ(c.ports.dns, 53);
    EXPECT_EQ(c.ports.smtp, 25);
    EXPECT_EQ(c.ports.submission, 587);
    EXPECT_EQ(c.ports.smtps, 465);
    EXPECT_EQ(c.ports.pop3, 110);
    EXPECT_EQ(c.ports.pop3s, 995);
    EXPECT_EQ(c.ports.imap, 143);
    EXPECT_EQ(c.ports.imaps, 993);
    EXPECT_EQ(c.ports.http, 80);
    EXPECT_EQ(c.ports.https, 443);
    EXPECT_EQ(c.tls.cert, "/var/lib/mxlab/tls/cert.pem");
    EXPECT_EQ(c.tls.key, "/var/lib/mxlab/tls/key.pem");
    EXPECT_FALSE(c.tls.require_for_auth);
    EXPECT_TRUE(c.web.admins.empty());
    EXPECT_EQ(c.limits.smtp_connections, 1000u);
    EXPECT_EQ(c.limits.pop3_connections, 2000u);
    EXPECT_EQ(c.limits.imap_connections, 20000u);
    EXPECT_EQ(c.limits.connections_per_client, 50u);
    EXPECT_EQ(c.limits.login_failures_per_user, 10);
    EXPECT_EQ(c.limits.login_failures_per_address, 100);
    EXPECT_EQ(c.limits.login_lockout, std::chrono::seconds(300));
    EXPECT_FALSE(c.tls.given);
    EXPECT_TRUE(c.dns.resolvers.empty());
    EXPECT_EQ(c.dns.default_ttl, 3600u);
    EXPECT_TRUE(c.dns.allow_transfer.empty());
    EXPECT_TRUE(c.dns.recursion.empty());  // never an open resolver by default
    EXPECT_EQ(c.smtp.relay, Relay::authenticated);
    EXPECT_TRUE(c.smtp.relay_networks.empty());
    EXPECT_EQ(c.smtp.max_message_size, 25u * 1024 * 1024);
    EXPECT_EQ(c.smtp.retry_interval, std::chrono::minutes{5});
    EXPECT_EQ(c.smtp.queue_lifetime, std::chrono::hours{48});
    ASSERT_EQ(c.domains.size(), 1u);
    const auto& d = c.domains[0];
    EXPECT_EQ(d.name, "sina.com");
    EXPECT_TRUE(d.mail);
    EXPECT_EQ(d.mx, "mail.sina.com");
    EXPECT_TRUE(d.records.empty() && d.users.empty() && d.aliases.empty() && d.catch_all.empty());
    EXPECT_EQ(d.pos.line, 5);
}

TEST(Load, EveryKeyWritten) {
    auto r = load(R"(
[appliance]
hostname = "Mail.Sina.COM."
addresses = ["10.0.1.10", "fd00::10"]
listen = ["10.0.1.10"]
data_dir = "data"
log_level = "debug"

[services]
web = false
pop3 = false

[ports]
smtp = 2525
http = 0

[tls]
cert = "certs/mail.pem"
key = "/etc/ssl/private/mail.key"
require_for_auth = true

[web]
admins = ["BOB@sina.com"]

[dns]
resolvers = ["10.0.2.10", "127.0.0.1:10053", "[::1]:53"]
default_ttl = 300
allow_transfer = ["10.0.2.10", "fd00::/8"]
recursion = ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]

[smtp]
relay = "networks"
relay_networks = ["10.0.1.0/24"]
max_message_size = "10M"
retry_interval = "30s"
queue_lifetime = "1d"

[[domain]]
name = "sina.com"
mx = "MX.sina.com"
catch_all = "bob"
records = ["mx A 10.0.1.11", "www CNAME mx"]

[domain.users]
Bob = "bob123"
Jack = "{SHA512-CRYPT}$6$salt$hash"

[domain.aliases]
postmaster = "Bob"
staff = ["bob", "Jack", "wfisk@bigsky.com"]

[[domain]]
name = "1.0.10.in-addr.arpa"
mail = false
records = ["10 PTR mail.sina.com."]
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.diagnostics.empty()) << all(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.appliance.hostname, "mail.sina.com");
    EXPECT_FALSE(c.appliance.addresses_from_interfaces);
    EXPECT_EQ(c.appliance.addresses.size(), 2u);
    EXPECT_EQ(c.appliance.addresses[1].str(), "fd00::10");
    EXPECT_EQ(c.appliance.data_dir, "/etc/mxlab/data");
    EXPECT_EQ(c.appliance.log_level, LogLevel::debug);
    EXPECT_FALSE(c.services.web);
    EXPECT_FALSE(c.services.pop3);
    EXPECT_TRUE(c.services.imap);
    EXPECT_EQ(c.ports.smtp, 2525);
    EXPECT_EQ(c.ports.http, 0);
    EXPECT_EQ(c.tls.cert, "/etc/mxlab/data/certs/mail.pem");
    EXPECT_EQ(c.tls.key, "/etc/ssl/private/mail.key");
    EXPECT_TRUE(c.tls.require_for_auth);
    EXPECT_EQ(c.web.admins, std::vector<std::string>{"bob@sina.com"});
    ASSERT_EQ(c.dns.resolvers.size(), 3u);
    EXPECT_EQ(c.dns.resolvers[1].port, 10053);
    EXPECT_EQ(c.dns.default_ttl, 300u);
    EXPECT_EQ(c.dns.allow_transfer[1].str(), "fd00::/8");
    ASSERT_EQ(c.dns.recursion.size(), 3u);
    EXPECT_EQ(c.dns.recursion[0].str(), "10.0.0.0/8");
    EXPECT_EQ(c.dns.recursion[1].str(), "192.168.1.7/32");  // a bare address is a host prefix
    EXPECT_EQ(c.dns.recursion[2].str(), "fd00::/8");
    EXPECT_EQ(c.smtp.relay, Relay::networks);
    EXPECT_EQ(c.smtp.relay_networks[0].str(), "10.0.1.0/24");
    EXPECT_EQ(c.smtp.max_message_size, 10u << 20);
    EXPECT_EQ(c.smtp.retry_interval, std::chrono::seconds{30});
    EXPECT_EQ(c.smtp.queue_lifetime, std::chrono::hours{24});
    ASSERT_EQ(c.domains.size(), 2u);
    const auto& d = c.domains[0];
    EXPECT_EQ(d.mx, "mx.sina.com");
    EXPECT_EQ(d.catch_all, "bob");
    ASSERT_EQ(d.records.size(), 2u);
    EXPECT_EQ(d.records[1].text, "www CNAME mx");
    EXPECT_EQ(d.records[1].pos.line, 42);
    EXPECT_EQ(d.records[1].pos.column, 30);
    ASSERT_EQ(d.users.size(), 2u);
    EXPECT_EQ(d.users[0].name, "Bob");
    EXPECT_EQ(d.users[0].pos.line, 45);
    EXPECT_EQ(d.users[1].password, "{SHA512-CRYPT}$6$salt$hash");
    ASSERT_EQ(d.aliases.size(), 2u);
    EXPECT_EQ(d.aliases[0].name, "postmaster");
    EXPECT_FALSE(d.aliases[0].is_list);
    EXPECT_EQ(d.aliases[0].targets, std::vector<std::string>{"Bob"});
    EXPECT_TRUE(d.aliases[1].is_list);
    EXPECT_EQ(d.aliases[1].targets.size(), 3u);
    EXPECT_FALSE(c.domains[1].mail);
    EXPECT_EQ(c.domains[1].name, "1.0.10.in-addr.arpa");
}

TEST(Load, RelativeDataDirFollowsTheFile) {
    auto r = load_string(R"(
[appliance]
hostname = "mail.sina.com"
data_dir = "../state/"
)",
                         "/srv/lab/conf/mxlab.toml");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config->appliance.data_dir, "/srv/lab/state");
    EXPECT_EQ(r.config->tls.key, "/srv/lab/state/tls/key.pem");
}

TEST(Load, RelativeFileNameUsesTheCurrentFolder) {
    auto r = load_string("[appliance]\nhostname = \"mail.sina.com\"\ndata_dir = \"d\"\n", "mxlab.toml");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config->appliance.data_dir, std::filesystem::current_path() / "d");
}

TEST(Load, NoDomainsIsValid) {
    auto r = load("[appliance]\nhostname = \"mail.sina.com\"\naddresses = [\"10.0.1.10\"]\n");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.config->domains.empty());
}

TEST(Load, SizesAndDurationsAlsoAsNumbers) {
    auto r = load(R"(
[appliance]
hostname = "mail.sina.com"
[smtp]
max_message_size = 1048576
retry_interval = 90
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config->smtp.max_message_size, 1048576u);
    EXPECT_EQ(r.config->smtp.retry_interval, std::chrono::seconds{90});
}

TEST(Load, MissingFileIsAnError) {
    auto r = load_file("/nonexistent/mxlab.toml");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("cannot read"), std::string::npos);
    EXPECT_FALSE(load_file("/").ok());
}

TEST(CaseInsensitive, DomainsUsersAliasesAdmins) {
    auto r = load(R"(
[appliance]
hostname = "MAIL.sina.com"
addresses = ["10.0.1.10"]
[web]
admins = ["dameson@BIGSKY.com"]
[[domain]]
name = "BigSky.COM"
catch_all = "dameson"
[domain.users]
DAmeson = "x"
[domain.aliases]
postmaster = "DAMESON"
all = ["postMaster@bigsky.com", "Bob@Sina.Com"]
[[domain]]
name = "sina.com"
mx = "Mail.Sina.Com"
[domain.users]
bob = "y"
)");
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& c = *r.config;
    EXPECT_EQ(c.domains[0].name, "bigsky.com");
    ASSERT_NE(c.find_domain("BIGSKY.COM"), nullptr);
    EXPECT_EQ(c.find_domain("BIGSKY.COM")->name, "bigsky.com");
    EXPECT_EQ(c.find_domain("Sina.Com."), &c.domains[1]);
    EXPECT_EQ(c.find_domain("other.com"), nullptr);
    EXPECT_EQ(c.find_domain(""), nullptr);
    EXPECT_EQ(c.domains[1].mx, "mail.sina.com");
    EXPECT_EQ(c.domains[0].users[0].name, "DAmeson");  // kept as written, for display
}

TEST(Load, TableFormsAreEquivalent) {
    // Inline tables and dotted keys are the same TOML as [section] headers.
    auto r = load(R"(
appliance = { hostname = "mail.sina.com", addresses = ["10.0.1.10"] }
smtp.relay = "none"
domain = [ { name = "sina.com", users = { Bob = "x" } } ]
)");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_EQ(r.config->smtp.relay, Relay::none);
    EXPECT_EQ(r.config->domains.at(0).users.at(0).name, "Bob");
}

TEST(Load, RecordsKeepWhatTheyParsedInto) {
    // Record::wire_at/wire_len into Domain::records_wire, RFC 1035 section
    // 4.1.3: owner as written, TYPE, CLASS, TTL (dns.default_ttl), RDLENGTH, RDATA.
    auto r = load(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
default_ttl = 300
[[domain]]
name = "sina.com"
records = ["mail A 10.0.1.10", "  Www 60 IN A 10.0.1.20", "trailing A 10.0.1.30 "]
)");
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& d = r.config->domains.at(0);
    auto wire = [&](const Record& rec) {
        return std::vector<std::uint8_t>(d.records_wire.begin() + rec.wire_at,
                                         d.records_wire.begin() + rec.wire_at + rec.wire_len);
    };
    const std::vector<std::uint8_t> mail = {4, 'm', 'a', 'i', 'l', 4, 's', 'i', 'n', 'a', 3, 'c', 'o', 'm', 0,
                                            0, 1, 0, 1, 0, 0, 0x01, 0x2C, 0, 4, 10, 0, 1, 10};
    const std::vector<std::uint8_t> www = {3, 'W', 'w', 'w', 4, 's', 'i', 'n', 'a', 3, 'c', 'o', 'm', 0,
                                           0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 1, 20};
    EXPECT_EQ(wire(d.records.at(0)), mail);
    EXPECT_EQ(wire(d.records.at(1)), www);
    // Trailing blanks: left for the zone build to parse from the text, as it always did.
    EXPECT_EQ(d.records.at(2).wire_len, 0u);
    EXPECT_EQ(d.records_wire.size(), mail.size() + www.size());
}

TEST(Limits, EveryKeyIsRead) {
    auto r = load(std::string(kMinimal) + R"(
[limits]
smtp_connections = 10
pop3_connections = 20
imap_connections = 30
connections_per_client = 4
login_failures_per_user = 3
login_failures_per_address = 40
login_lockout = "1h"
)");
    ASSERT_TRUE(r.ok()) << all(r);
    const auto& l = r.config->limits;
    EXPECT_EQ(l.smtp_connections, 10u);
    EXPECT_EQ(l.pop3_connections, 20u);
    EXPECT_EQ(l.imap_connections, 30u);
    EXPECT_EQ(l.connections_per_client, 4u);
    EXPECT_EQ(l.login_failures_per_user, 3);
    EXPECT_EQ(l.login_failures_per_address, 40);
    EXPECT_EQ(l.login_lockout, std::chrono::seconds(3600));
}

TEST(Tls, GivenOnlyWhenTheTomlNamesAFile) {
    auto r = load(std::string(kMinimal) + "[tls]\nrequire_for_auth = true\n");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_FALSE(r.config->tls.given);
    r = load(std::string(kMinimal) + "[tls]\ncert = \"/etc/ssl/mail.pem\"\nkey = \"/etc/ssl/mail.key\"\n");
    ASSERT_TRUE(r.ok()) << all(r);
    EXPECT_TRUE(r.config->tls.given);
}

}  // namespace
}  // namespace mxlab::config::test
