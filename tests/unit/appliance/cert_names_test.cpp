// Which names from our zones the lab CA's server certificate carries: the ones that lead a client to this appliance.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "appliance/cert_names.hpp"
#include "config/config.hpp"
#include "dns/serials.hpp"
#include "dns/zones.hpp"

namespace mxlab::appliance {
namespace {

namespace fs = std::filesystem;

class CertNamesTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::path(::testing::TempDir()) / "mxlab-certnames-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    // The names for a config whose [appliance] and [[domain]]s are `toml`.
    CertificateNames names_for(const std::string& toml) {
        auto r = config::load_string(toml, dir_ / "mxlab.toml");
        std::string errors;
        for (const auto& d : r.diagnostics) errors += config::format("mxlab.toml", d) + "\n";
        EXPECT_TRUE(r.ok()) << errors;
        if (!r.ok()) return {};
        dns::SerialStore serials(dir_ / "serials", dns::SerialStore::Mode::read_only);
        auto built = dns::build_zones(*r.config, serials);
        EXPECT_TRUE(built.errors.empty()) << (built.errors.empty() ? "" : built.errors.front());
        if (!built.zones) return {};
        return certificate_names(*r.config, built.zones.get());
    }

    fs::path dir_;
};

std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(CertNamesTest, NamesThatLeadToTheApplianceCountOthersDoNot) {
    const auto got = names_for(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10", "fd00::10"]
listen = ["0.0.0.0", "127.0.0.2"]

[[domain]]
name = "sina.com"
records = [
  "pop3 CNAME mail",           # an alias of the hostname
  "imap CNAME pop3",           # an alias of an alias
  "box A 10.0.1.10",           # another name for our address
  "v6 AAAA fd00::10",
  "local A 127.0.0.2",         # a listen address is ours too
  "webmail CNAME box",         # an alias of a name found by its address
  "www A 10.0.1.20",           # another host
  "ftp CNAME www",             # an alias of another host
  "out CNAME mail.bigsky.org.",
  "* A 10.0.1.10",             # no client connects to a wildcard
  "_sub A 10.0.1.10",          # nor to a name that is not a host name
  "@ MX 20 backup.sina.com.",
]

[[domain]]
name = "bigsky.com"
mx = "mx.bigsky.com"
records = ["mx A 10.0.1.10"]

[[domain]]
name = "lab.test"
mail = false
records = ["ns1 A 10.0.1.10", "other A 10.0.9.9"]
)");
    ASSERT_GE(got.names.dns.size(), 2u);
    // The hostname names the subject; the MX hosts follow it.
    EXPECT_EQ(got.names.dns[0], "mail.sina.com");
    EXPECT_EQ(got.names.dns[1], "mx.bigsky.com");
    EXPECT_EQ(sorted(got.names.dns),
              sorted({"mail.sina.com", "mx.bigsky.com", "pop3.sina.com", "imap.sina.com", "box.sina.com", "v6.sina.com",
                      "local.sina.com", "webmail.sina.com", "ns1.lab.test"}));
    std::vector<std::string> addresses;
    for (const auto& a : got.names.addresses) addresses.push_back(a.str());
    // 0.0.0.0 is every address, not one a client can use.
    EXPECT_EQ(addresses, (std::vector<std::string>{"10.0.1.10", "fd00::10", "127.0.0.2"}));
    EXPECT_EQ(got.left_out, 0u);
}

TEST_F(CertNamesTest, CnameLoopEnds) {
    const auto got = names_for(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]

[[domain]]
name = "sina.com"
records = ["a CNAME b", "b CNAME a", "c CNAME mail"]
)");
    EXPECT_EQ(got.names.dns, (std::vector<std::string>{"mail.sina.com", "c.sina.com"}));
}

TEST_F(CertNamesTest, ManyNamesAreCutAtTheBound) {
    std::string records;
    for (int i = 0; i < 150; ++i) records += (i ? ", " : "") + std::string("\"h") + std::to_string(i) + " A 10.0.1.10\"";
    const auto got = names_for("[appliance]\nhostname = \"mail.sina.com\"\naddresses = [\"10.0.1.10\"]\n"
                               "[[domain]]\nname = \"sina.com\"\nrecords = [" + records + "]\n");
    EXPECT_EQ(got.names.dns.size(), kMaxCertificateNames);
    EXPECT_EQ(got.names.dns[0], "mail.sina.com");
    EXPECT_EQ(got.left_out, 151u - kMaxCertificateNames);
}

TEST_F(CertNamesTest, WithoutZonesOnlyTheConfigsNames) {
    auto r = config::load_string("[appliance]\nhostname = \"mail.sina.com\"\naddresses = [\"10.0.1.10\"]\n"
                                 "[[domain]]\nname = \"sina.com\"\nrecords = [\"pop3 CNAME mail\"]\n",
                                 dir_ / "mxlab.toml");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(certificate_names(*r.config, nullptr).names.dns, (std::vector<std::string>{"mail.sina.com"}));
}

}  // namespace
}  // namespace mxlab::appliance
