// Mailbox names between the client's form and the store's UTF-8: modified UTF-7 (RFC 3501 section 5.1.3), or UTF-8 as it is once UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051) is enabled.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxlab::imap {

// The UTF-8 name for what the client sent. `utf8`: the name is UTF-8 and
// must be valid; otherwise it is modified UTF-7, decoded strictly (nullopt
// for 8-bit bytes, a bad base64 run, a run that encodes printable ASCII, a
// lone surrogate): the client gets NO rather than a mailbox it cannot name
// back. Either way a name with a control character, U+2028 or U+2029 is
// refused (RFC 9051 section 5.1).
std::optional<std::string> mailbox_from_client(std::string_view name, bool utf8);

// The name as the client reads it: unchanged when `utf8`, else modified
// UTF-7. `utf8_name` comes from the store and is valid UTF-8; a byte that
// is not is written as U+FFFD.
std::string mailbox_to_client(std::string_view utf8_name, bool utf8);

}  // namespace mxlab::imap
