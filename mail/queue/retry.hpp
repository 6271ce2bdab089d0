// The outbound queue's retry schedule: growing waits from smtp.retry_interval, and the end of smtp.queue_lifetime (DESIGN.md section 5 "Outbound").
//
// RFC 5321 section 4.5.4.1: a sender retries a deferred message at intervals
// until it gives up. The RFC suggests 30 minutes between tries and 4-5 days
// before giving up; a lab wants faster answers, so both come from the
// configuration, and the wait doubles per try (as Postfix's backoff) so a
// host that is down for long is not hammered.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace mxlab::queue {

// The longest wait between two tries (Postfix's maximal_backoff_time is
// 4000s): a peer that comes back is tried again within the hour.
inline constexpr std::chrono::seconds max_retry_delay{3600};

// The wait before the next try once `attempts` tries have failed (>= 1; 0
// counts as 1): retry_interval * 2^(attempts-1), at most max_retry_delay and
// never less than retry_interval, which wins when it is itself longer than
// the cap (the configured interval is a floor). An interval under a second
// counts as one second: zero would retry in a tight loop.
constexpr std::chrono::seconds retry_delay(std::chrono::seconds retry_interval, std::uint32_t attempts) {
    retry_interval = std::max(retry_interval, std::chrono::seconds{1});
    const std::chrono::seconds cap = std::max(max_retry_delay, retry_interval);
    std::chrono::seconds delay = retry_interval;
    // Doubling stops at the cap, so it cannot overflow, and ends within ~12 steps.
    for (std::uint32_t i = 1; i < attempts && delay < cap; ++i) delay *= 2;
    return std::min(delay, cap);
}

// An entry created at `created` has had its queue_lifetime by `now`: its
// pending recipients fail and its sender gets a bounce.
constexpr bool expired(std::chrono::system_clock::time_point created, std::chrono::system_clock::time_point now,
                       std::chrono::seconds queue_lifetime) {
    return now - created >= queue_lifetime;
}

}  // namespace mxlab::queue
