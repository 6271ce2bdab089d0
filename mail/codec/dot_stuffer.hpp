// Dot-stuffing for the SMTP client's DATA (RFC 5321 section 4.5.2): a stored message in, the bytes to send out, then the end-of-data line; pure.
//
// The message comes from the store already in CRLF form, in chunks that may
// split it anywhere (between CR and LF, right after a line start). A '.' that
// begins a line is doubled; a line begins after CRLF only, and at the start
// of the data (which follows the DATA command's CRLF). Bare CRs and bare LFs
// pass through unchanged: the store normalized them, and the receiver's idea
// of a line end is CRLF (section 2.3.8).
#pragma once

#include <string>
#include <string_view>

namespace mxlab::smtp {

class DotStuffer {
public:
    // Appends `chunk`, stuffed, to `out`. Chunks without a '.' at a line
    // start are appended in one piece.
    void feed(std::string_view chunk, std::string& out);

    // The end of the data (section 4.1.1.4): ".\r\n" when the data ended
    // with CRLF or was empty, else "\r\n.\r\n" (the message's last line gets
    // its CRLF). The stuffer is then ready for another message.
    std::string_view finish();

private:
    enum class State : unsigned char {
        line_start,  // after CRLF, or at the start of the data
        cr,          // after a CR: an LF next starts a line
        mid,         // anywhere else
    };
    State state_ = State::line_start;
};

}  // namespace mxlab::smtp
