// TOP's cut, chunk by chunk; see top.hpp.
#include "mail/pop3/top.hpp"

#include <cstring>

namespace mxlab::pop3 {

std::size_t TopCut::take(std::string_view chunk) {
    if (done_) return 0;
    std::size_t pos = 0;
    while (pos < chunk.size()) {
        const void* hit = std::memchr(chunk.data() + pos, '\n', chunk.size() - pos);
        if (!hit) {
            const std::size_t n = chunk.size() - pos;
            line_is_cr_ = (line_bytes_ == 0 && n == 1 && chunk[pos] == '\r');
            line_bytes_ += n;
            return chunk.size();
        }
        const std::size_t eol = static_cast<const char*>(hit) - chunk.data();
        const std::size_t n = eol - pos;
        const bool empty = (line_bytes_ + n == 0) || (line_bytes_ + n == 1 && (n == 1 ? chunk[pos] == '\r' : line_is_cr_));
        pos = eol + 1;
        line_bytes_ = 0;
        line_is_cr_ = false;
        if (in_header_) {
            if (!empty) continue;
            in_header_ = false;
        } else {
            --left_;
        }
        if (left_ == 0) {
            done_ = true;
            return pos;
        }
    }
    return chunk.size();
}

std::size_t top_lines(std::string_view message, std::uint64_t lines) { return TopCut(lines).take(message); }

}  // namespace mxlab::pop3
