// One log line per key (a client) per interval, carrying the count of the events it stood for: a flood of refusals cannot flood the log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>

namespace mxlab {

template <class Key>
class LogLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // At most one line per key per `interval`, and `max_lines` per interval in
    // all: many keys (addresses from many /64s) cannot flood the log either.
    explicit LogLimiter(std::chrono::seconds interval = std::chrono::seconds(60), std::size_t max_keys = 4096,
                        std::size_t max_lines = 100)
        : interval_(interval), max_keys_(max_keys), max_lines_(max_lines) {}

    // Counts one event for `key`. Returns how many events the line to write now
    // stands for (this one and those held back since the key's last line), or 0
    // when no line is due.
    std::uint64_t note(const Key& key, Clock::time_point now = Clock::now()) {
        const std::lock_guard lock(mutex_);
        if (now - window_start_ >= interval_) {
            window_start_ = now;
            lines_ = 0;
        }
        const bool may_write = lines_ < max_lines_;
        auto it = keys_.find(key);
        if (it == keys_.end()) {
            if (keys_.size() >= max_keys_) prune(now);
            // Held back for the log's sake, the event waits for the key's next line.
            keys_.emplace(key, Window{now, may_write ? 0u : 1u});
            if (!may_write) return 0;
            ++lines_;
            return 1;
        }
        auto& w = it->second;
        ++w.held;
        if (now - w.last_line < interval_ || !may_write) return 0;
        const auto n = w.held;
        w = Window{now, 0};
        ++lines_;
        return n;
    }

private:
    struct Window {
        Clock::time_point last_line;
        std::uint64_t held = 0;  // events since last_line that wrote nothing
    };

    // Keys whose window has passed lose only a count; if every key is recent, all go.
    void prune(Clock::time_point now) {
        std::erase_if(keys_, [&](const auto& kv) { return now - kv.second.last_line >= interval_; });
        if (keys_.size() >= max_keys_) keys_.clear();
    }

    std::chrono::seconds interval_;
    std::size_t max_keys_;
    std::size_t max_lines_;
    Clock::time_point window_start_{};
    std::size_t lines_ = 0;  // written in the window that began at window_start_
    std::mutex mutex_;
    std::map<Key, Window> keys_;
};

}  // namespace mxlab
