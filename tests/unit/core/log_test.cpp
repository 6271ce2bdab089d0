// The log line format: one event per line, key=value, machine-readable whatever the values hold.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/log.hpp"

namespace mxlab {
namespace {

std::string capture(LogLevel configured, LogLevel level, std::string_view event,
                    std::initializer_list<LogField> fields) {
    char* buf = nullptr;
    size_t size = 0;
    std::FILE* mem = open_memstream(&buf, &size);
    {
        Logger log(mem, configured);
        log.log(level, event, fields);
    }
    std::fclose(mem);
    std::string out(buf, size);
    std::free(buf);
    return out;
}

TEST(Log, OneLineWithTimestampLevelEventAndFields) {
    auto line = capture(LogLevel::info, LogLevel::info, "ready", {{"port", 53}, {"config", "/etc/mxlab/mxlab.toml"}});
    EXPECT_TRUE(line.starts_with("ts=")) << line;
    EXPECT_NE(line.find(" level=info event=ready port=53 config=/etc/mxlab/mxlab.toml\n"), std::string::npos) << line;
    EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(Log, QuotesValuesThatWouldBreakTheLine) {
    auto line = capture(LogLevel::debug, LogLevel::warn, "x", {{"reason", "two words"}, {"q", "a\"b"}, {"nl", "a\nb"},
                                                              {"eq", "k=v"}, {"empty", ""}});
    EXPECT_NE(line.find("reason=\"two words\" q=\"a\\\"b\" nl=\"a\\nb\" eq=\"k=v\" empty=\"\"\n"), std::string::npos)
        << line;
}

TEST(Log, LevelFilters) {
    EXPECT_EQ(capture(LogLevel::warn, LogLevel::info, "hidden", {}), "");
    EXPECT_NE(capture(LogLevel::warn, LogLevel::error, "shown", {}), "");
}

}  // namespace
}  // namespace mxlab
