// LIST and LSUB patterns (RFC 9051 section 6.3.9): "*" matches anything, "%" anything but the hierarchy separator.
#pragma once

#include <string>
#include <string_view>

namespace mxlab::imap {

// The pattern a LIST reference and mailbox argument make together: the
// reference prefixed unless the pattern is absolute (starts with the
// separator, which we do not have as a root) or the reference is empty.
std::string list_pattern(std::string_view reference, std::string_view pattern);

// Whether `name` matches `pattern`; "INBOX" is matched case-insensitively
// (RFC 9051 section 5.1), as its first level. O(|name|·|pattern|) with runs
// of wildcards taken as one and at most 2·|name| + 1 pattern characters
// looked at (the session also bounds names and patterns).
bool list_matches(std::string_view pattern, std::string_view name);

}  // namespace mxlab::imap
