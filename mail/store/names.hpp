// Canonical user keys and mailbox names: what the store accepts, and how INBOX is spelled.
#pragma once

#include <string>
#include <string_view>

#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace mxlab::store {

// Users are keyed by their full address in lower case ("bob@sina.com"), so
// "Bob@SINA.com" from SMTP and "bob@sina.com" from an IMAP login are one user.
Result<std::string> canonical_user(std::string_view address);

// A mailbox name as stored. "INBOX" is case-insensitive (RFC 3501 section
// 5.1), and so is it as the first hierarchy level ("inbox/x" is "INBOX/x"),
// so that a client cannot make a second INBOX by spelling it differently;
// other names are case-sensitive. Rejected: empty names and empty levels
// ("a//b", "/a", "a/"), NUL, CR, LF, and the LIST wildcards '*' and '%'.
Result<std::string> normalize_mailbox(std::string_view name);

bool is_inbox(std::string_view normalized);

// IMAP keywords (RFC 3501 flag-keyword = atom): 1..max_keyword_length atom
// characters (no SP, CTL, 8-bit, ( ) { % * " \ ]). A mailbox keeps at most
// max_keywords distinct ones (keys.hpp), as Dovecot caps them, so a client
// cannot grow every message record and the FLAGS line without bound.
inline constexpr std::size_t max_keyword_length = 64;
inline constexpr std::size_t max_keywords = 256;
Status check_keywords(const Flags& flags);
SpecialUse special_use_of(std::string_view normalized);

// The names every user has (created on first use, recreated by ensure_user).
inline constexpr std::string_view default_mailboxes[] = {"INBOX", "Sent", "Drafts", "Trash", "Junk"};

}  // namespace mxlab::store
