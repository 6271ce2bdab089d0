// IMAP text from a parsed MessageStructure: BODYSTRUCTURE, BODY and ENVELOPE (RFC 3501 sections 7.4.2 and 9), with strings quoted or sent as literals.
#pragma once

#include <string>
#include <string_view>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {

// An IMAP string (RFC 3501 section 4.3): quoted when every byte is a 7-bit
// TEXT-CHAR and there are few backslashes to add, else a literal {n}CRLF...
// (as Dovecot chooses). NUL, which neither form may hold, becomes U+FFFD.
void append_imap_string(std::string& out, std::string_view s);
// The same for an nstring, NIL when unset; line breaks are dropped first.
void append_imap_nstring(std::string& out, const std::optional<std::string>& s);

// The parenthesized list FETCH returns for ENVELOPE of part `index` (0: the
// message; else a part holding an envelope, an embedded message's root).
std::string render_envelope(const MessageStructure& s, std::uint32_t index = 0);

// BODYSTRUCTURE (extended = true, with the extension data) or BODY of part
// `index` (0: the message), parenthesized, as Dovecot writes them.
std::string render_bodystructure(const MessageStructure& s, bool extended = true, std::uint32_t index = 0);

}  // namespace mxlab::codec
