// Header text to UTF-8: RFC 2047 encoded words (B and Q), RFC 2231 extended parameter values, charset conversion with iconv.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxlab::codec {

// Converts text in `charset` to UTF-8; GB2312 and GBK are read as GB18030
// (their superset, as mail clients do). Invalid sequences become U+FFFD.
// Nothing for a charset iconv does not know.
std::optional<std::string> to_utf8(std::string_view charset, std::string_view text);

// Decodes the encoded words in an unstructured header value (RFC 2047
// sections 4 to 6): whitespace between adjacent encoded words is dropped; a
// word in an unknown charset or malformed stays as written. Text outside
// encoded words passes through (8-bit text that is not UTF-8 is read as
// Latin-1 so the result is always UTF-8).
std::string decode_rfc2047(std::string_view value);

// "charset'language'percent-encoded" (RFC 2231 section 4) to UTF-8; the
// language, if any, in *language. A value without the two quotes is
// percent-decoded as UTF-8.
std::string decode_rfc2231_value(std::string_view value, std::string* language = nullptr);

}  // namespace mxlab::codec
