// Dot-stuffing: memchr from dot to dot, and one append per run between dots that start a line; see dot_stuffer.hpp.
//
// Looking for dots rather than line ends keeps the common cases at memcpy
// speed: a base64 attachment has no '.' at all (one memchr, one append), and
// text has a dot or two per line, mostly inside it.
#include "mail/codec/dot_stuffer.hpp"

#include <cstring>

namespace mxlab::smtp {

void DotStuffer::feed(std::string_view chunk, std::string& out) {
    if (chunk.empty()) return;
    const char* const begin = chunk.data();
    const char* const end = begin + chunk.size();
    const char* run = begin;  // [run, ...) goes out verbatim, not yet appended
    // state_ describes the octets before `begin` until the end of this call.
    auto line_start = [&](const char* p) {
        if (p == begin) return state_ == State::line_start;
        if (p[-1] != '\n') return false;
        return p - 1 == begin ? state_ == State::cr : p[-2] == '\r';
    };
    for (const char* p = begin; p < end;) {
        const void* found = std::memchr(p, '.', static_cast<std::size_t>(end - p));
        if (found == nullptr) break;
        const char* dot = static_cast<const char*>(found);
        if (line_start(dot)) {
            out.append(run, static_cast<std::size_t>(dot - run));
            out += '.';  // the extra dot; the line's own one starts the next run
            run = dot;
        }
        p = dot + 1;
    }
    out.append(run, static_cast<std::size_t>(end - run));
    state_ = end[-1] == '\r' ? State::cr : line_start(end) ? State::line_start : State::mid;
}

std::string_view DotStuffer::finish() {
    const bool at_line_start = state_ == State::line_start;
    state_ = State::line_start;
    return at_line_start ? std::string_view(".\r\n") : std::string_view("\r\n.\r\n");
}

}  // namespace mxlab::smtp
