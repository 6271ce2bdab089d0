// What the files of imap::Session share: the selected mailbox and small reply helpers.
#pragma once

#include <optional>
#include <string>

#include "mail/imap/session.hpp"
#include "mail/imap/view.hpp"
#include "mail/store/subscription.hpp"

namespace mxlab::imap {

struct Session::Selected {
    store::MailboxRef ref;
    bool read_only = false;
    MailboxView view;
    std::optional<store::Subscription> watch;
    std::vector<std::string> keywords;  // FLAGS and PERMANENTFLAGS as last sent
};

// "UID FETCH" / "FETCH": what Dovecot puts in its replies' text.
std::string command_name(const Command& cmd);

// RFC 9051 6.4.5: a message number past the last is an error (BAD), "*" is the last whatever it is.
bool numbers_exist(const SequenceSet& set, std::uint32_t exists);

// A set of UIDs as sorted, merged, inclusive ranges; "*" is `top` (UIDNEXT - 1: it reaches
// past the last message still there, to ones expunged). Never expanded UID by UID.
std::vector<store::UidRange> uid_ranges(const SequenceSet& set, store::Uid top);
bool in_ranges(const std::vector<store::UidRange>& ranges, store::Uid uid);
// "a:b,c" for sorted ranges.
void append_ranges(std::string& out, const std::vector<store::UidRange>& ranges);

}  // namespace mxlab::imap
