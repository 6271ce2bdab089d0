// Cuts an IMAP client's bytes into whole commands: a line and the literals it announces ({n} waits for "+ " first, {n+} and {n-} do not; RFC 9051 section 4.3, RFC 7888), each size bounded, and a big APPEND literal streamed rather than held.
//
// Pure: feed() what the socket brought, then call next() until it says
// Event::need_more. Bytes are consumed as events are taken, so the reader
// holds at most one command (max_line for its lines plus max_literal for its
// small literals) and what the last feed() brought: a client that never
// ends a line, or announces literal after literal, cannot grow it further.
//
// A literal above max_literal is kept only when it is the last argument of an
// APPEND (the reader looks at the command's second word): it is then handed
// out in pieces (Event::stream_begin, stream_bytes, stream_end) for the
// session to stage into the store, up to max_append. Anything else too big
// ends as Event::too_big; the reader then skips the literal's bytes if the
// client sends them anyway ({n+}), and the rest of that command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxlab::imap {

struct ReaderLimits {
    std::size_t max_line = 64 * 1024;        // the lines of one command together, literals aside (Dovecot: 64 KB)
    std::size_t max_literal = 64 * 1024;     // all small literals of one command together
    std::uint64_t max_append = 25u << 20;    // an APPEND's message ([smtp] max_message_size)
    std::size_t max_literals = 1'000;        // literals in one command
};

class CommandReader {
public:
    enum class Event {
        need_more,       // feed() more bytes
        command,         // command(): a whole command for parse_command()
        continuation,    // send "+ OK\r\n": the client waits before sending a {n} literal
        stream_begin,    // an APPEND's big literal follows: command() is the text before its "{n}" (e.g.
                         // "a1 APPEND INBOX (\Seen)"), stream_size() its length; send "+ OK\r\n" unless
                         // stream_nonsync(); or answer with a NO and call refuse_stream() instead.
                         // parse_command(command() + " {0}\r\n") reads its mailbox, flags and date.
        stream_bytes,    // stream_chunk(): the next bytes of that literal
        stream_end,      // the literal is whole; command() is the rest of its line (normally empty; a
                         // literal it announces is not framed: no MULTIAPPEND); too_long instead when that
                         // line is past max_line
        too_long,        // a line past max_line: answer "BAD" (tag() when one was read); the line is skipped
        too_big,         // a literal past its limit: answer "BAD"/"NO [TOOBIG]" (tag()); the command is skipped
    };

    explicit CommandReader(ReaderLimits limits = {});

    void feed(std::string_view bytes);
    Event next();

    // After Event::command: the command's text with its literals (parse_command()),
    // valid until the next call to next() or feed().
    std::string_view command() const;
    // After too_long / too_big: the tag if the command's first word was read, else "".
    const std::string& tag() const;
    // After stream_begin.
    std::uint64_t stream_size() const;
    bool stream_nonsync() const;
    // After stream_bytes: valid until the next call to next() or feed().
    std::string_view stream_chunk() const;
    // After stream_begin: the session will not take the literal; its bytes
    // (if the client sends them, as after {n+}) and the rest of the line are
    // skipped. After stream_bytes (the store failed mid-way): the rest of the
    // literal and its line are skipped.
    void refuse_stream();

    // The next line is not a command but a SASL response (AUTHENTICATE) or
    // IDLE's "DONE": next() gives it as Event::command, with no literal
    // handling, up to max_line.
    void expect_plain_line();

    // Bytes held: the command being framed and what came after it.
    std::size_t buffered() const;

private:
    enum class Mode : std::uint8_t { line, literal, skip, stream };

    bool line_ends_command();
    std::size_t text_size() const;
    Event refuse(Event why, std::uint64_t nonsync_bytes);
    void finish();
    void reset();

    ReaderLimits limits_;
    std::string buf_;
    std::size_t pos_ = 0;        // consumed prefix of buf_
    std::string cmd_;            // the command being framed (its tail only, while discarding)
    std::size_t line_start_ = 0; // where cmd_'s current line starts
    std::string tag_;
    std::string_view out_;       // command() or stream_chunk()
    std::uint64_t literal_left_ = 0;
    std::uint64_t stream_size_ = 0;
    std::size_t small_literals_ = 0;  // bytes of literals in cmd_
    std::size_t literals_ = 0;
    Mode mode_ = Mode::line;
    bool nonsync_ = false;
    bool plain_line_ = false;
    bool discard_ = false;       // a refused command: framed to its end, nothing kept
    bool stream_rest_ = false;   // the line after a streamed literal: ends in stream_end
    bool finished_ = false;      // the last event ended a command: reset at the next call
};

}  // namespace mxlab::imap
