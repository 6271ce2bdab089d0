// The id the SMTP server gives each message it accepts (Received, the 250 reply, the Message-ID it adds on submission, its log lines).
//
// Unique across restarts and across appliances: the start time alone was not
// (two lab appliances started in the same second both said "queued as
// 6B16F105000001"), so random bits from the OS sit between it and the counter.
// An id is 24 upper-case hex digits (at most 32 if the counter ever needs
// more than 6), within what mail/queue/bounce.cpp takes as a queue id.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mxlab::smtp {

class IdMaker {
public:
    // `started`: seconds since the epoch; the low 40 bits of `random` tell
    // apart makers started in the same second.
    IdMaker(std::uint32_t started, std::uint64_t random);
    // With random bits from getrandom(2); `started` defaults to now.
    static IdMaker from_os();
    static IdMaker from_os(std::uint32_t started);

    // Thread-safe: connections on different threads share one maker.
    std::string next();

private:
    std::string prefix_;
    std::atomic<std::uint64_t> counter_{0};
};

}  // namespace mxlab::smtp
