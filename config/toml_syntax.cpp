// What a student's TOML typo really is, when toml++ names only its consequence.
#include "config/detail.hpp"

namespace mxlab::config::detail {

std::optional<SourcePos> unclosed_string(std::string_view text, SourcePos stop, std::string& closing) {
    // Only strings and comments matter: a quote elsewhere is always the start of a string.
    int line = 1;
    std::size_t line_start = 0, i = 0;
    const std::size_t n = text.size();
    while (i < n && line <= stop.line) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            line_start = ++i;
            continue;
        }
        if (c == '#') {
            while (i < n && text[i] != '\n') ++i;
            continue;
        }
        if (c != '"' && c != '\'') {
            ++i;
            continue;
        }
        const bool multi = text.substr(i, 3) == std::string(3, c);
        const std::string_view delim = text.substr(i, multi ? 3 : 1);
        const SourcePos start{line, static_cast<int>(i - line_start + 1)};
        bool closed = false;
        std::size_t j = i + delim.size();
        while (j < n) {
            const char d = text[j];
            if (!multi && (d == '\n' || d == '\r')) break;
            if (c == '"' && d == '\\' && j + 1 < n && (multi || (text[j + 1] != '\n' && text[j + 1] != '\r'))) {
                if (text[j + 1] == '\n') ++line, line_start = j + 2;
                j += 2;  // an escape: \" does not close the string
                continue;
            }
            if (d == '\n') ++line, line_start = j + 1;
            if (text.substr(j, delim.size()) == delim) {
                closed = true;
                j += delim.size();
                // """a"""" : up to two more quotes belong to the string (TOML 1.0).
                for (int extra = 0; multi && extra < 2 && j < n && text[j] == c; ++extra) ++j;
                break;
            }
            ++j;
        }
        if (!closed) {
            closing = delim;
            return start;
        }
        i = j;
    }
    return std::nullopt;
}

}  // namespace mxlab::config::detail
