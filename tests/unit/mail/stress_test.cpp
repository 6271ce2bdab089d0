// Tests for mail/net/stress: on at 80% of the limit, off at 70%, a state change reported once.
#include "mail/net/stress.hpp"

#include <gtest/gtest.h>

namespace mxlab::mail::net {
namespace {

// Issue 14, item 7: smtp_connections = 10, eight idle connections put SMTP under stress.
TEST(StressGauge, OnAtEightyOffAtSeventyPercent) {
    StressGauge g;
    for (std::size_t n = 0; n < 8; ++n) EXPECT_EQ(g.update(n, 10), std::nullopt) << n;
    EXPECT_EQ(g.update(8, 10), true);
    EXPECT_EQ(g.update(9, 10), std::nullopt);
    EXPECT_EQ(g.update(10, 10), std::nullopt);
    EXPECT_EQ(g.update(8, 10), std::nullopt);  // between the marks: no line per connection at the edge
    EXPECT_TRUE(g.on());
    EXPECT_EQ(g.update(7, 10), false);
    EXPECT_EQ(g.update(6, 10), std::nullopt);
    EXPECT_FALSE(g.on());
}

TEST(StressGauge, DefaultLimits) {
    StressGauge g;
    EXPECT_EQ(g.update(799, 1000), std::nullopt);
    EXPECT_EQ(g.update(800, 1000), true);
    EXPECT_EQ(g.update(701, 1000), std::nullopt);
    EXPECT_EQ(g.update(700, 1000), false);
}

}  // namespace
}  // namespace mxlab::mail::net
