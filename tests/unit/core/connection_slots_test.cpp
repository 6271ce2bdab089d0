// Tests for core/connection_slots: per-client and total limits, and slots given back.
#include "core/connection_slots.hpp"

#include <gtest/gtest.h>

namespace mxlab {
namespace {

using Slots = ConnectionSlots<int>;
using A = Slots::Admission;

TEST(ConnectionSlots, PerClientThenTotal) {
    Slots s;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(s.take(1, 3, 5), A::ok);
    EXPECT_EQ(s.take(1, 3, 5), A::per_client);  // refused: counts nothing
    EXPECT_EQ(s.held(1), 3u);
    EXPECT_EQ(s.take(2, 3, 5), A::ok);
    EXPECT_EQ(s.take(3, 3, 5), A::ok);
    EXPECT_EQ(s.take(4, 3, 5), A::total);
    EXPECT_EQ(s.size(), 5u);
    s.give_back(1);
    EXPECT_EQ(s.take(4, 3, 5), A::ok);
    EXPECT_EQ(s.held(4), 1u);
}

TEST(ConnectionSlots, GivingBackForgetsTheClient) {
    Slots s;
    EXPECT_EQ(s.take(7, 1, 10), A::ok);
    s.give_back(7);
    s.give_back(7);  // one too many: ignored, the total does not wrap
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.held(7), 0u);
    EXPECT_EQ(s.take(7, 1, 1), A::ok);
}

}  // namespace
}  // namespace mxlab
