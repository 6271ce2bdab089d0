// ASCII case folding, for names that DNS and mail compare without regard to case (header-only; every library can use it).
//
// Only 'A'-'Z' change: bytes of UTF-8 local parts stay as they are
// (DESIGN.md section 3), and no locale is consulted, unlike std::tolower.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mxlab {

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = lower(c);
    return out;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace mxlab
