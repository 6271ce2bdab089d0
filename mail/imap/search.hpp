// SEARCH over one message at a time (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, RFC 7162 MODSEQ): flags, dates, sizes, sets, and header and body text with RFC 2047, base64 and quoted-printable decoded and charsets converted to UTF-8.
//
// Pure. The session resolves "*" and "$" and hands each message with what
// the program needs (needs_text: the message's bytes; needs_structure).
// Text matches are case-insensitive substring matches on UTF-8 (ASCII case
// folding, as Dovecot's default i;unicode-casemap does for ASCII).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "mail/codec/mime.hpp"
#include "mail/imap/command.hpp"
#include "mail/store/types.hpp"

namespace mxlab::imap {

struct SearchMessage {
    std::uint32_t msn = 0;
    const store::MessageInfo* info = nullptr;
    bool recent = false;
    const codec::MessageStructure* structure = nullptr;  // when needs_structure()
    std::string_view bytes;                              // the whole message, when needs_text()
};

struct SearchScope {
    std::uint32_t exists = 0;   // "*" in a sequence set
    store::Uid last_uid = 0;    // "*" in a UID set
    std::vector<store::Uid> saved;  // "$" (RFC 5182), as UIDs, ascending
};

bool needs_structure(const SearchKey& key);  // header keys, SENT*: the header fields; BODY, TEXT: the parts
bool needs_text(const SearchKey& key);       // BODY, TEXT, HEADER, FROM, ...: the message's bytes

// Whether SEARCH CHARSET `charset` can be served ("" is US-ASCII); else the
// session answers NO [BADCHARSET (US-ASCII UTF-8)].
bool known_charset(std::string_view charset);
// The key's strings converted from `charset` to UTF-8 (search strings are in the command's charset).
SearchKey to_utf8(const SearchKey& key, std::string_view charset);

bool matches(const SearchKey& key, const SearchMessage& message, const SearchScope& scope);

}  // namespace mxlab::imap
