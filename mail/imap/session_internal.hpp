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

// The store's UID set for a list of UIDs (any order).
store::UidSet to_uid_set(const std::vector<store::Uid>& uids);

}  // namespace mxlab::imap
