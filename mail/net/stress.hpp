// When a protocol is under stress: past 80% of its connection limit its idle timeouts shrink, as Postfix does when its processes run out, so that silent clients give their slots to ones with mail.
//
// On at 80% of the limit, off again at 70% or below, so that one client
// coming and going at the edge does not log a line each time. Pure: the
// server calls update() as connections come and go, under its own lock.
#pragma once

#include <cstddef>
#include <optional>

namespace mxlab::mail::net {

class StressGauge {
public:
    // The new state when this count changes it; nullopt when it stays.
    std::optional<bool> update(std::size_t connections, std::size_t limit) {
        const bool on = on_ ? connections * 10 > limit * 7 : connections * 5 >= limit * 4;
        if (on == on_) return std::nullopt;
        on_ = on;
        return on;
    }
    bool on() const { return on_; }

private:
    bool on_ = false;
};

}  // namespace mxlab::mail::net
