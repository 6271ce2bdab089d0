// The DATA reader: a small state machine for line starts and CRs, and memchr over everything in between.
//
// Bytes are copied to the output in runs: a run grows over ordinary text and
// CRLF line ends and is appended only when the output must differ from the
// input (a stuffing dot dropped, a bare LF made CRLF, the end reached) or the
// input runs out. A message in CRLF form therefore costs two memchr calls per
// line and one append per feed.
#include "mail/smtp/data_reader.hpp"

#include <cstring>

namespace mxlab::smtp {

namespace {

bool has_eight_bit(const char* p, std::size_t n) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    unsigned char any = 0;
    for (std::size_t i = 0; i < n; ++i) any |= u[i];
    return (any & 0x80) != 0;
}

const char* find(const char* p, const char* end, char c) {
    return static_cast<const char*>(std::memchr(p, c, static_cast<std::size_t>(end - p)));
}

}  // namespace

DataReader::DataReader(std::uint64_t max_size) : max_size_(max_size) {}

void DataReader::emit(const char* p, std::size_t n, std::string& out) {
    if (n == 0) return;
    if (ok()) {
        // While ok(), size_ <= max_size_: keep exactly the first max_size_
        // octets, so the output does not depend on how the input was split.
        const std::uint64_t room = max_size_ - size_;
        out.append(p, n <= room ? n : static_cast<std::size_t>(room));
    }
    size_ += n;
    if (size_ > max_size_) too_big_ = true;
}

void DataReader::end_line(std::uint64_t length) {
    // RFC 5321 section 4.5.3.1.6: 1000 octets with the CRLF.
    if (length > max_text_line) line_too_long_ = true;
    line_length_ = 0;
}

DataReader::Step DataReader::feed(std::string_view input, std::string& out) {
    if (state_ == State::done) return {true, 0};
    const char* const begin = input.data();
    const char* const end = begin + input.size();
    const char* p = begin;        // the next byte to look at
    const char* run = begin;      // [run, p) is output verbatim, not yet appended
    const char* nl = nullptr;     // the next '\n' at or after p (end if none), once looked up
    bool done = false;

    auto flush = [&](const char* upto) {
        emit(run, static_cast<std::size_t>(upto - run), out);
        run = upto;
    };
    // Errors stop the output; what precedes the offending byte goes out
    // first, so where the error is found does not depend on the split.
    auto line_end = [&](std::uint64_t length) {
        if (length > max_text_line) flush(p);
        end_line(length);
    };
    auto smuggled = [&] {
        flush(p);
        smuggling_ = true;
    };

    while (p < end && !done) {
        switch (state_) {
        case State::mid: {
            if (nl == nullptr || nl < p) {
                nl = find(p, end, '\n');
                if (nl == nullptr) nl = end;
            }
            const char* cr = find(p, nl, '\r');
            if (cr == nullptr) {
                line_length_ += static_cast<std::uint64_t>(nl - p);
                if (nl == end) {
                    p = end;
                    break;
                }
                // A bare LF ends a line and becomes CRLF, as Postfix's
                // smtpd_forbid_bare_newline = normalize does (RFC 5321 section 2.3.8).
                flush(nl);
                emit("\r\n", 2, out);
                p = run = nl + 1;
                line_end(line_length_ + 2);
                state_ = State::line_start_lf;
                break;
            }
            line_length_ += static_cast<std::uint64_t>(cr - p);
            if (cr + 1 == end) {
                // CRLF or bare CR: the next feed tells.
                flush(cr);
                p = run = end;
                state_ = State::cr;
                break;
            }
            if (cr[1] == '\n') {
                p = cr + 2;
                line_end(line_length_ + 2);
                state_ = State::line_start;
            } else {
                // A bare CR is kept as text (RFC 5321 section 2.3.8 forbids it,
                // but refusing it would refuse real mail).
                ++line_length_;
                p = cr + 1;
                state_ = State::after_bare_cr;
            }
            break;
        }
        case State::line_start:
            if (*p == '.') {
                flush(p);
                run = ++p;
                state_ = State::dot;
            } else {
                state_ = State::mid;
            }
            break;
        case State::line_start_lf:
            if (*p == '.') {
                flush(p);
                run = ++p;
                state_ = State::dot_lf;
            } else {
                state_ = State::mid;
            }
            break;
        case State::dot:
            if (*p == '\r') {
                run = ++p;
                state_ = State::dot_cr;
            } else {
                // "\r\n.\n" is smuggling; anything else is a stuffed line whose
                // leading dot goes (RFC 5321 section 4.5.2), and the byte is text.
                if (*p == '\n') smuggled();
                state_ = State::mid;
            }
            break;
        case State::dot_lf:
            // "\n.\n", "\n.\r\n", "\n.\r": a "." line after a bare LF.
            if (*p == '\r' || *p == '\n') smuggled();
            state_ = State::mid;
            break;
        case State::dot_cr:
            if (*p == '\n') {
                // "\r\n.\r\n": the end (RFC 5321 section 4.1.1.4). The dot and
                // CR were held, so nothing of the terminator is in `out`.
                run = ++p;
                state_ = State::done;
                done = true;
                break;
            }
            // "\r\n.\r" then not LF: a "." line ended by a bare CR.
            smuggled();
            state_ = State::after_bare_cr;
            break;
        case State::cr:
            if (*p == '\n') {
                emit("\r\n", 2, out);
                run = ++p;
                line_end(line_length_ + 2);
                state_ = State::line_start;
            } else {
                emit("\r", 1, out);
                ++line_length_;
                state_ = State::after_bare_cr;
            }
            break;
        case State::after_bare_cr:
            if (*p == '.') {
                ++p;
                ++line_length_;
                state_ = State::bare_cr_dot;
            } else {
                state_ = State::mid;
            }
            break;
        case State::bare_cr_dot:
            // "\r.\r" or "\r.\n": a "." line after a bare CR.
            if (*p == '\r' || *p == '\n') smuggled();
            state_ = State::mid;
            break;
        case State::done:
            done = true;
            break;
        }
    }
    flush(p);
    const auto consumed = static_cast<std::size_t>(p - begin);
    if (!eight_bit_) eight_bit_ = has_eight_bit(begin, consumed);
    return {done, consumed};
}

}  // namespace mxlab::smtp
