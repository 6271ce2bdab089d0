// `mxlab queue list`: the outbound queue as a person reads it.
#pragma once

#include <string>
#include <vector>

#include "mail/store/types.hpp"

namespace mxlab::queue {

// One block per entry: id, sender, size, arrival, attempts, next try, the
// last error, then each recipient with its state and last reply; "Mail queue
// is empty" when there is nothing (as Postfix's mailq says). Times in UTC.
std::string format_queue(const std::vector<store::QueueEntry>& entries, store::Time now);

}  // namespace mxlab::queue
