// Tests for mail/smtp/message_id: ids that two appliances started in the same second never share.
#include "mail/smtp/message_id.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace mxlab::smtp {
namespace {

// Issue 13, item 7: both lab appliances, started in the same second, said
// "queued as 6B16F105000001". The random bits from the OS tell them apart.
TEST(IdMaker, TwoMakersStartedInTheSameSecondDiffer) {
    const std::uint32_t second = 0x6B16F105;
    auto a = IdMaker::from_os(second);
    auto b = IdMaker::from_os(second);
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        seen.insert(a.next());
        seen.insert(b.next());
    }
    EXPECT_EQ(seen.size(), 200u);
}

// Start time, 40 random bits, a counter: hex, 24 characters, within
// bounce.cpp's 32 characters of [A-Za-z0-9_-] for a queue id.
TEST(IdMaker, Layout) {
    IdMaker m(0x6B16F105, 0xABCDEF0123456789ull);
    EXPECT_EQ(m.next(), "6B16F1050123456789000001");
    EXPECT_EQ(m.next(), "6B16F1050123456789000002");
    const std::regex shape("[0-9A-F]{24}");
    auto os = IdMaker::from_os();
    for (int i = 0; i < 10; ++i) EXPECT_TRUE(std::regex_match(os.next(), shape));
}

}  // namespace
}  // namespace mxlab::smtp
