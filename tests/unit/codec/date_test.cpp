// Tests for mail/codec/date: RFC 5322 date-times in UTC and in a zone, and the local zone's offset.
#include "mail/codec/date.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

namespace mxlab::mail {
namespace {

using namespace std::chrono;

system_clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

// TZ set for one test, then put back.
class ZoneTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (const char* tz = std::getenv("TZ")) saved_ = tz;
    }
    void TearDown() override {
        if (saved_) setenv("TZ", saved_->c_str(), 1);
        else unsetenv("TZ");
        tzset();
    }
    static void zone(const char* tz) {
        setenv("TZ", tz, 1);
        tzset();
    }

private:
    std::optional<std::string> saved_;
};

// RFC 5322 section 3.3, in UTC by default; fractions of a second are dropped.
TEST(Rfc5322Date, Utc) {
    EXPECT_EQ(rfc5322_date(system_clock::time_point{}), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(at(2024, 2, 29, 23, 59, 59) + milliseconds{999}), "Thu, 29 Feb 2024 23:59:59 +0000");
    EXPECT_EQ(rfc5322_date(at(2025, 12, 7, 8, 5, 3)), "Sun, 07 Dec 2025 08:05:03 +0000");
}

// The time as a clock in that zone shows it, then the zone (section 3.3: "+" east of UTC, "-" west).
TEST(Rfc5322Date, Offsets) {
    EXPECT_EQ(rfc5322_date(at(2026, 11, 26, 12, 0, 0), hours{1}), "Thu, 26 Nov 2026 13:00:00 +0100");
    EXPECT_EQ(rfc5322_date(at(2026, 11, 26, 20, 0, 0), hours{5} + minutes{30}), "Fri, 27 Nov 2026 01:30:00 +0530");
    EXPECT_EQ(rfc5322_date(at(2025, 1, 1, 2, 0, 0), -(hours{3} + minutes{30})), "Tue, 31 Dec 2024 22:30:00 -0330");
    EXPECT_EQ(rfc5322_date(at(2026, 3, 1, 7, 59, 0), -hours{8}), "Sat, 28 Feb 2026 23:59:00 -0800");
}

TEST_F(ZoneTest, LocalOffsetFollowsTz) {
    zone("UTC0");
    EXPECT_EQ(local_utc_offset(at(2026, 11, 26, 12, 0, 0)), seconds{0});
    zone("IST-5:30");  // POSIX TZ: the offset is west of UTC, so this is UTC+05:30
    EXPECT_EQ(local_utc_offset(at(2026, 11, 26, 12, 0, 0)), hours{5} + minutes{30});
    zone("NST+3:30");
    EXPECT_EQ(local_utc_offset(at(2026, 11, 26, 12, 0, 0)), -(hours{3} + minutes{30}));
}

// What SMTP's Received and Date write is what strftime("%a, %d %b %Y %H:%M:%S %z")
// writes in the C locale (which mxlab runs in), for zones east and west.
TEST_F(ZoneTest, LocalDateMatchesStrftime) {
    for (const char* tz : {"UTC0", "CET-1CEST,M3.5.0,M10.5.0/3", "IST-5:30", "NST+3:30", "PST8PDT,M3.2.0,M11.1.0"}) {
        zone(tz);
        for (auto t : {at(2026, 11, 26, 12, 0, 0), at(2026, 7, 1, 23, 30, 15), at(2024, 2, 29, 0, 0, 1)}) {
            const std::time_t tt = system_clock::to_time_t(t);
            std::tm tm{};
            localtime_r(&tt, &tm);
            char buf[64];
            std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
            EXPECT_EQ(rfc5322_date(t, local_utc_offset(t)), buf) << tz;
        }
    }
}

}  // namespace
}  // namespace mxlab::mail
