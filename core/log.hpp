// Structured logging: one "key=value" line per event on a stream (stderr).
#pragma once

#include <atomic>
#include <concepts>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>

namespace mxlab {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

struct LogField {
    std::string_view key;
    std::string value;

    LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
    LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
    LogField(std::string_view k, const char* v) : key(k), value(v) {}
    template <std::integral T>
    LogField(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
};

// Thread-safe; the level may change at any time (reload).
class Logger {
public:
    explicit Logger(std::FILE* out = stderr, LogLevel level = LogLevel::info) : out_(out), level_(level) {}

    void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
    bool enabled(LogLevel level) const { return level <= level_.load(std::memory_order_relaxed); }

    // ts=... level=... event=EVENT key=value ...; values with spaces, quotes
    // or '=' are quoted so that the line stays machine-readable.
    void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

    void error(std::string_view event, std::initializer_list<LogField> f = {}) { log(LogLevel::error, event, f); }
    void warn(std::string_view event, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, event, f); }
    void info(std::string_view event, std::initializer_list<LogField> f = {}) { log(LogLevel::info, event, f); }
    void debug(std::string_view event, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, event, f); }

private:
    std::FILE* out_;
    std::atomic<LogLevel> level_;
    std::mutex mutex_;
};

// Appends `value` to `out`, quoted and escaped when it needs to be.
void append_log_value(std::string& out, std::string_view value);

}  // namespace mxlab
