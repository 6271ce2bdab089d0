// Formats the outbound queue for `mxlab queue list`.
#include "mail/queue/listing.hpp"

#include <ctime>

namespace mxlab::queue {

std::optional<QueueCommand> parse_queue_command(const std::vector<std::string>& words, std::string& error) {
    const std::string verb = words.empty() ? "list" : words[0];
    QueueCommand c;
    std::size_t max_words = 1, min_words = 0;
    if (verb == "list") {
        c.verb = QueueCommand::Verb::list;
    } else if (verb == "retry") {
        c.verb = QueueCommand::Verb::retry;
        max_words = 2;
    } else if (verb == "delete") {
        c.verb = QueueCommand::Verb::remove;
        max_words = min_words = 2;
    } else {
        error = "unknown queue command '" + verb + "'; usage: " + std::string(kQueueUsage);
        return std::nullopt;
    }
    if (words.size() > max_words || words.size() < min_words) {
        error = "usage: " + std::string(kQueueUsage);
        return std::nullopt;
    }
    if (words.size() == 2) {
        const std::string& w = words[1];
        store::QueueId id = 0;
        const bool digits = !w.empty() && w.size() <= 19 && w.find_first_not_of("0123456789") == std::string::npos;
        if (digits) id = std::stoull(w);
        if (!digits || id == 0) {
            error = "'" + w + "' is not a queue id (the number `mxlab queue list` shows)";
            return std::nullopt;
        }
        c.id = id;
    }
    return c;
}

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
