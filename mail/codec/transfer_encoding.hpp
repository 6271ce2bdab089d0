// A body part's Content-Transfer-Encoding undone (RFC 2045 section 6): base64 and quoted-printable, leniently, as IMAP BINARY (RFC 3516) and SEARCH BODY/TEXT need them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxlab::codec {

// The body decoded from `encoding` (case-insensitive): base64 (characters
// outside its alphabet skipped, as RFC 2045 6.8 asks), quoted-printable
// (soft line breaks joined, a malformed "=" kept as it is), and 7bit, 8bit,
// binary or none as they are. Nothing for any other encoding: BINARY
// answers NO [UNKNOWN-CTE] (RFC 3516 section 4.2).
std::optional<std::string> decode_transfer_encoding(std::string_view body, std::string_view encoding);

// The same in pieces, for a body too big to hold: each call appends the
// decoded bytes of `chunk` to `out`, keeping what a piece boundary splits.
class TransferDecoder {
public:
    // false: an encoding it does not know (see above).
    bool start(std::string_view encoding);
    void feed(std::string_view chunk, std::string& out);
    void finish(std::string& out);

private:
    int kind_ = 0;
    std::string carry_;
};

}  // namespace mxlab::codec
