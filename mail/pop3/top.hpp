// RFC 1939 section 7 TOP: where "the header section, the blank line and the first n body lines" ends, in one piece or chunk by chunk; pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mxlab::pop3 {

// Finds the end of TOP's output in a message that arrives in chunks (the
// store streams a big one 256 KiB at a time), so a TOP on a 50 MB message
// reads only as far as it needs. The header section ends at the first empty
// line (RFC 5322 section 2.1), which is sent with it; a message without one
// is all header and is sent whole, as is a body with fewer than n lines.
class TopCut {
public:
    explicit TopCut(std::uint64_t lines) : left_(lines) {}

    // How many leading bytes of `chunk` belong to the output: all of it
    // until the cut, then fewer (and done() turns true), then 0.
    std::size_t take(std::string_view chunk);
    bool done() const { return done_; }

private:
    std::uint64_t left_;
    bool in_header_ = true;
    bool done_ = false;
    std::uint64_t line_bytes_ = 0;  // bytes of the current line so far, LF excluded
    bool line_is_cr_ = false;       // the current line so far is exactly "\r"
};

// The same for a message in one piece: the length of its TOP prefix. The
// server streams that prefix through smtp::DotStuffer like RETR; the
// stuffer's finish() adds the CRLF a cut line lacks and the ".\r\n".
std::size_t top_lines(std::string_view message, std::uint64_t lines);

}  // namespace mxlab::pop3
