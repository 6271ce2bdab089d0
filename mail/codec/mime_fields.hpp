// Parsers for the header fields MIME and ENVELOPE read: Content-Type and Content-Disposition with RFC 2231 parameters, Content-Language, RFC 5322 address lists.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {

// A header field's value as IMAP shows it: the whitespace after the colon
// trimmed, then line breaks removed (the folding whitespace and trailing
// whitespace stay, as in Dovecot).
std::string unfold(std::string_view raw);

// "type/subtype; a=b; ..." (RFC 2045 section 5.1); nothing when there is no
// type, so the caller uses the default; a type alone has an empty subtype.
struct ContentType {
    std::string type, subtype;
    std::vector<MimeParam> params;
};
std::optional<ContentType> parse_content_type(std::string_view value);

// "attachment; filename=x" (RFC 2183): the disposition token and parameters.
struct Disposition {
    std::string type;
    std::vector<MimeParam> params;
};
std::optional<Disposition> parse_disposition(std::string_view value);

// "; a=b; c*0*=..." parameters, RFC 2231 continuations joined as Dovecot does:
// plain parameters first in order, then the numbered or extended ones sorted
// by name, an extended result named "name*" with its value still encoded.
std::vector<MimeParam> parse_params(std::string_view text);

// A parameter's value as UTF-8 text, for display and SEARCH: "name*" decoded
// per RFC 2231, else "name" with any RFC 2047 encoded words decoded (which
// RFC 2047 section 5 forbids there, and many mail clients write anyway,
// filename="=?gb2312?B?...?=" among them). Nothing when neither is there.
std::optional<std::string> param_text(const std::vector<MimeParam>& params, std::string_view name);

// The first token of a field such as Content-Transfer-Encoding.
std::string first_token(std::string_view value);

// Content-Language (RFC 3282): the language tags.
std::vector<std::string> parse_languages(std::string_view value);

// An RFC 5322 address list as RFC 3501's ENVELOPE shows it (groups marked,
// quoted names unquoted, encoded words left as they are).
std::vector<Address> parse_address_list(std::string_view value);

}  // namespace mxlab::codec
