// The DATA reader (RFC 5321 section 4.1.1.4, 4.5.2): removes dot-stuffing, finds "<CRLF>.<CRLF>", and refuses SMTP smuggling; pure.
//
// Only <CRLF>.<CRLF> ends the data. A line "." delimited on either side by a
// bare LF or a bare CR ("\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", ...) is what
// SMTP smuggling hides a second message behind: it is not an end, the reader
// goes on to the real end and reports `smuggling`, and the session refuses
// the whole message (550 5.5.2). Other bare LFs are normalized to CRLF, as
// Postfix's smtpd_forbid_bare_newline = normalize does; other bare CRs are kept.
// A size or line-length violation also keeps reading (discarding) to the end,
// so the session can reply once and stay in sync with the client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxlab::smtp {

// A text line may hold 1000 octets with its CRLF (RFC 5321 section 4.5.3.1.6).
inline constexpr std::size_t max_text_line = 1000;

class DataReader {
public:
    // `max_size`: the largest message (unstuffed, CRLF line ends) kept; more
    // sets too_big() and the rest is discarded.
    explicit DataReader(std::uint64_t max_size);

    struct Step {
        bool done = false;          // the end-of-data line was consumed
        std::size_t consumed = 0;   // bytes of `input` used; after done, the rest is the client's next command
    };
    // Appends the unstuffed message to `out` (nothing once an error is set;
    // past max_size, exactly the first max_size octets were appended).
    // Incremental: the input may be split anywhere, even inside "\r\n.\r\n",
    // and the output and flags do not depend on where.
    Step feed(std::string_view input, std::string& out);

    bool too_big() const { return too_big_; }
    bool line_too_long() const { return line_too_long_; }
    bool smuggling() const { return smuggling_; }
    bool ok() const { return !too_big_ && !line_too_long_ && !smuggling_; }
    std::uint64_t size() const { return size_; }  // octets of message seen, kept or not
    bool eight_bit() const { return eight_bit_; }  // a byte >= 0x80 was seen

private:
    // Where the reader stands between two bytes. The "held" states have seen
    // bytes whose meaning depends on what follows; those bytes are not yet in
    // `out` (nor in size_) and are re-emitted, or dropped, once resolved, so
    // the result does not depend on where the input was split.
    enum class State : unsigned char {
        line_start,     // after CRLF, or at the very start of the data
        line_start_lf,  // after a bare LF (already emitted as CRLF)
        mid,            // inside a line
        cr,             // held "\r": CRLF or a bare CR?
        after_bare_cr,  // a bare CR was just emitted; a "." next may begin "\r.\r" or "\r.\n"
        bare_cr_dot,    // bare CR then ".": a CR or LF next is smuggling
        dot,            // held "." at a line start after CRLF: stuffing, the end, or smuggling?
        dot_lf,         // held "." at a line start after a bare LF
        dot_cr,         // held ".\r" after CRLF: LF next ends the data
        done,
    };

    // Appends [p, p + n) to `out` while no error is set, counts it in size_
    // and sets too_big_ past max_size_ (keeping exactly max_size_ octets).
    void emit(const char* p, std::size_t n, std::string& out);
    // Ends a line of `length` octets (CRLF included) against max_text_line.
    void end_line(std::uint64_t length);

    std::uint64_t max_size_;
    std::uint64_t size_ = 0;
    bool too_big_ = false;
    bool line_too_long_ = false;
    bool smuggling_ = false;
    bool eight_bit_ = false;
    State state_ = State::line_start;
    std::uint64_t line_length_ = 0;  // octets of the current line emitted (or counted) so far
};

}  // namespace mxlab::smtp
