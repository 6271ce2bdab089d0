// Tests for core/log_limiter: one line per key per interval with the count held back, and a cap on lines across keys.
#include "core/log_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxlab {
namespace {

using namespace std::chrono_literals;
using Clock = LogLimiter<int>::Clock;

const Clock::time_point t0 = Clock::time_point{} + 1000h;

TEST(LogLimiter, OneLinePerKeyPerIntervalWithTheCount) {
    LogLimiter<int> l(60s);
    EXPECT_EQ(l.note(1, t0), 1u);
    for (int i = 0; i < 3104; ++i) EXPECT_EQ(l.note(1, t0 + 1s), 0u);
    EXPECT_EQ(l.note(2, t0 + 2s), 1u);  // another key has its own line
    EXPECT_EQ(l.note(1, t0 + 60s), 3105u);  // the held ones and this one
    EXPECT_EQ(l.note(1, t0 + 61s), 0u);
}

// Issue 12 review: refusals from many /64s would each get a line.
TEST(LogLimiter, LinesAcrossKeysAreCapped) {
    LogLimiter<int> l(60s, 4096, 100);
    int lines = 0;
    for (int k = 0; k < 1000; ++k)
        if (l.note(k, t0) > 0) ++lines;
    EXPECT_EQ(lines, 100);
    // A held-back key reports its count once it may write again.
    EXPECT_EQ(l.note(200, t0 + 60s), 2u);
}

TEST(LogLimiter, KeysAreBounded) {
    LogLimiter<std::string> l(60s, 10, 1000);
    for (int k = 0; k < 1000; ++k) l.note(std::to_string(k), t0);
    // Every key is recent: the table was cleared rather than grown; a known key still gets a line in time.
    EXPECT_EQ(l.note("999", t0 + 60s), 1u);
}

}  // namespace
}  // namespace mxlab
