// `mxlab queue`: its words as the CLI and the daemon read them, and the outbound queue as a person reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/types.hpp"

namespace mxlab::queue {

inline constexpr std::string_view kQueueUsage = "mxlab queue list | retry [ID] | delete ID";

// `list`, `retry [ID]` or `delete ID` (no words: list). The CLI checks the
// words before it asks the daemon, and the daemon checks what reaches its
// control socket, with this one reading.
struct QueueCommand {
    enum class Verb { list, retry, remove } verb = Verb::list;
    std::optional<store::QueueId> id;
};
// nullopt with `error` saying what is wrong ("usage: ..." or "'x1' is not a queue id ...").
std::optional<QueueCommand> parse_queue_command(const std::vector<std::string>& words, std::string& error);

// One block per entry: id, sender, size, arrival, attempts, next try, the
// last error, then each recipient with its state and last reply; "Mail queue
// is empty" when there is nothing (as Postfix's mailq says). Times in UTC.
std::string format_queue(const std::vector<store::QueueEntry>& entries, store::Time now);

}  // namespace mxlab::queue
