// Small pieces of IMAP response syntax shared by the session, the view and FETCH: flag lists, sequence sets, strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mail/codec/imap_render.hpp"
#include "mail/store/types.hpp"

namespace mxlab::imap {

// "(\Answered \Flagged \Deleted \Seen \Draft $Forwarded)"; \Recent last when `recent`.
void append_flags(std::string& out, const store::Flags& flags, bool recent = false);
// Numbers (ascending, unique) in the shortest sequence-set form: "1:3,5,9:12". Empty: "".
void append_sequence(std::string& out, const std::vector<std::uint32_t>& sorted);
// A string as RFC 3501 lets it be written: quoted, or a literal when it must (codec/imap_render.hpp).
inline void append_string(std::string& out, std::string_view s) { codec::append_imap_string(out, s); }
// An astring: an atom when it is one (and not NIL), else append_string.
void append_astring(std::string& out, std::string_view s);

}  // namespace mxlab::imap
