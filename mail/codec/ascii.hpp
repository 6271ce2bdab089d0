// ASCII case-insensitive comparison for MIME and header names (case folding for the codec until core/ has one, issue 14 item 10).
#pragma once

#include <string_view>

namespace mxlab::codec {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

}  // namespace mxlab::codec
