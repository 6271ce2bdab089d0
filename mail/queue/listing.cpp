// Formats the outbound queue for `mxlab queue list`.
#include "mail/queue/listing.hpp"

#include <ctime>

namespace mxlab::queue {

namespace {

std::string utc(store::Time t) {
    std::time_t s = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&s, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

// "in 4m 58s", "now", "2m 3s ago": how far a time is from now.
std::string relative(store::Time t, store::Time now) {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t - now).count();
    if (secs == 0) return "now";
    long long a = secs < 0 ? -secs : secs;
    std::string text;
    if (a >= 3600) text += std::to_string(a / 3600) + "h ";
    if (a >= 60) text += std::to_string(a / 60 % 60) + "m ";
    text += std::to_string(a % 60) + "s";
    return secs > 0 ? "in " + text : text + " ago";
}

}  // namespace

std::string format_queue(const std::vector<store::QueueEntry>& entries, store::Time now) {
    if (entries.empty()) return "Mail queue is empty\n";
    std::string out;
    for (const auto& e : entries) {
        out += "queue id " + std::to_string(e.id) + ": from <" + e.sender + ">, " + std::to_string(e.size) + " bytes, arrived " +
               utc(e.created) + "\n";
        out += "  attempts " + std::to_string(e.attempts) + ", next try " + utc(e.next_try) + " (" + relative(e.next_try, now) + ")\n";
        if (!e.last_error.empty()) out += "  last error: " + e.last_error + "\n";
        for (const auto& r : e.recipients) {
            out += "  to <" + r.address + ">: " + std::string(store::to_string(r.state));
            if (!r.last_error.empty()) out += " (" + r.last_error + ")";
            out += "\n";
        }
    }
    out += std::to_string(entries.size()) + (entries.size() == 1 ? " message" : " messages") + " in the queue\n";
    return out;
}

}  // namespace mxlab::queue
