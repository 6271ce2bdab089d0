// SOA serials: grow only on content change, never go back, survive restarts (the file in data_dir).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "dns/serials.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

using namespace std::chrono;

class Serials : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/mxlab-dns-serials-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        file_ = dir_ / "dns-serials";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::uint32_t serial_of(const BuildResult& b, std::string_view zone) {
        for (const auto& z : b.zones->zone_infos())
            if (z.name == zone) return z.serial;
        return 0;
    }

    std::filesystem::path dir_, file_;
};

const sys_days jan1 = sys_days{year{2025} / January / 1};
const sys_days jan2 = sys_days{year{2025} / January / 2};
const sys_days dec1_2024 = sys_days{year{2024} / December / 1};

TEST_F(Serials, DateSerialAndSerialArithmetic) {
    EXPECT_EQ(SerialStore::date_serial(jan1), 2025010100u);
    EXPECT_TRUE(SerialStore::serial_greater(2, 1));
    EXPECT_TRUE(SerialStore::serial_greater(0, 0xFFFFFFFFu));  // RFC 1982 wrap
    EXPECT_FALSE(SerialStore::serial_greater(1, 1));
}

TEST_F(Serials, UnchangedContentKeepsItsSerialAcrossRestarts) {
    const config::Config cfg = lab_config();
    {
        SerialStore s(file_);
        const auto b = build_zones(cfg, s, jan1);
        ASSERT_TRUE(b.errors.empty());
        EXPECT_EQ(serial_of(b, "sina.com"), 2025010100u);
    }
    ASSERT_TRUE(std::filesystem::exists(file_));
    SerialStore again(file_);
    const auto b = build_zones(cfg, again, jan2);  // a later day, same content
    EXPECT_EQ(serial_of(b, "sina.com"), 2025010100u);
}

TEST_F(Serials, ChangedContentBumpsToTodayOrOldPlusOne) {
    config::Config cfg = lab_config();
    SerialStore s(file_);
    ASSERT_TRUE(build_zones(cfg, s, jan1).errors.empty());
    cfg.domains[0].records.push_back({"new A 10.0.1.77", {}});
    auto b = build_zones(cfg, s, jan1);  // same day: old + 1
    EXPECT_EQ(serial_of(b, "sina.com"), 2025010101u);
    EXPECT_EQ(serial_of(b, "bigsky.com"), 2025010100u);  // other zones untouched
    cfg.domains[0].records.push_back({"new2 A 10.0.1.78", {}});
    b = build_zones(cfg, s, jan2);  // a new day: YYYYMMDD00
    EXPECT_EQ(serial_of(b, "sina.com"), 2025010200u);
    // Persisted.
    SerialStore reread(file_);
    EXPECT_EQ(reread.find("sina.com")->serial, 2025010200u);
}

TEST_F(Serials, NeverGoesBackEvenWhenTheClockDoes) {
    config::Config cfg = lab_config();
    SerialStore s(file_);
    ASSERT_TRUE(build_zones(cfg, s, jan2).errors.empty());
    cfg.domains[0].records.push_back({"new A 10.0.1.77", {}});
    const auto b = build_zones(cfg, s, dec1_2024);
    EXPECT_EQ(serial_of(b, "sina.com"), 2025010201u);
    // Back to the old content: still a change, so still up.
    cfg.domains[0].records.pop_back();
    EXPECT_EQ(serial_of(build_zones(cfg, s, dec1_2024), "sina.com"), 2025010202u);
}

TEST_F(Serials, RemovedZoneKeepsItsLine) {
    config::Config cfg = lab_config();
    SerialStore s(file_);
    ASSERT_TRUE(build_zones(cfg, s, jan1).errors.empty());
    cfg.domains.pop_back();
    ASSERT_TRUE(build_zones(cfg, s, jan2).errors.empty());
    SerialStore reread(file_);
    EXPECT_TRUE(reread.find("1.0.10.in-addr.arpa"));
}

TEST_F(Serials, ReadOnlyComputesButWritesNothing) {
    SerialStore s(file_, SerialStore::Mode::read_only);
    const auto b = build_zones(lab_config(), s, jan1);
    ASSERT_TRUE(b.errors.empty());
    EXPECT_FALSE(std::filesystem::exists(file_));
}

TEST_F(Serials, FailedBuildHandsOutNoSerial) {
    config::Config cfg = lab_config();
    SerialStore s(file_);
    ASSERT_TRUE(build_zones(cfg, s, jan1).errors.empty());
    cfg.domains[0].records.push_back({"www CNAME ftp", {}});  // error
    EXPECT_FALSE(build_zones(cfg, s, jan1).errors.empty());
    cfg.domains[0].records.pop_back();
    cfg.domains[0].records.push_back({"new A 10.0.1.77", {}});
    EXPECT_EQ(serial_of(build_zones(cfg, s, jan1), "sina.com"), 2025010101u);
}

TEST_F(Serials, UnwritableFileIsABuildError) {
    SerialStore s(dir_ / "missing-dir" / "dns-serials");
    const auto b = build_zones(lab_config(), s, jan1);
    ASSERT_EQ(b.errors.size(), 1u);
    EXPECT_NE(b.errors[0].find("dns serials: "), std::string::npos);
    EXPECT_FALSE(b.zones);
}

TEST_F(Serials, CorruptFileThrowsAtStart) {
    std::ofstream(file_) << "sina.com nothex 5\n";
    EXPECT_THROW(SerialStore{file_}, std::runtime_error);
    std::ofstream(file_) << "sina.com 0123456789abcdef 2025010100\n";
    EXPECT_NO_THROW(SerialStore{file_});
}

TEST_F(Serials, FileFormat) {
    SerialStore s(file_);
    s.set("sina.com", 0x0123456789abcdefull, 2025010100);
    ASSERT_FALSE(s.save());
    std::ifstream in(file_);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "sina.com 0123456789abcdef 2025010100");
    EXPECT_FALSE(std::filesystem::exists(file_.string() + ".tmp"));
}

}  // namespace
}  // namespace mxlab::dns::test
