// Message ids for the SMTP server: start time, random bits and a counter; see message_id.hpp.
#include "mail/smtp/message_id.hpp"

#include <sys/random.h>

#include <cstdio>
#include <ctime>
#include <random>

namespace mxlab::smtp {

IdMaker::IdMaker(std::uint32_t started, std::uint64_t random) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%08X%010llX", started, static_cast<unsigned long long>(random & 0xFFFFFFFFFFull));
    prefix_ = buf;
}

IdMaker IdMaker::from_os() { return from_os(static_cast<std::uint32_t>(std::time(nullptr))); }

IdMaker IdMaker::from_os(std::uint32_t started) {
    std::uint64_t random = 0;
    if (::getrandom(&random, sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
        std::random_device rd;  // getrandom cannot fail on a running Linux, but be safe
        random = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    }
    return IdMaker(started, random);
}

std::string IdMaker::next() {
    char buf[24];
    // 14 digits at most: a 32-character id, however long the appliance runs.
    std::snprintf(buf, sizeof buf, "%06llX", static_cast<unsigned long long>(++counter_ & 0xFFFFFFFFFFFFFFull));
    return prefix_ + buf;
}

}  // namespace mxlab::smtp
