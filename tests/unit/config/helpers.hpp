// Shared by the config tests: loading TOML text and finding a diagnostic in the result.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "config/config.hpp"

namespace mxlab::config::test {

inline std::string all(const LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics) s += format("test.toml", d) + "\n";
    return s;
}

inline std::size_t count(const LoadResult& r, Diagnostic::Severity sev) {
    return static_cast<std::size_t>(
        std::count_if(r.diagnostics.begin(), r.diagnostics.end(), [&](auto& d) { return d.severity == sev; }));
}

// The first diagnostic of `sev` on `line` whose key and message contain the given parts.
inline const Diagnostic* find(const LoadResult& r, Diagnostic::Severity sev, int line, std::string_view key,
                              std::string_view message) {
    for (const auto& d : r.diagnostics)
        if (d.severity == sev && d.pos.line == line && d.key.find(key) != std::string::npos &&
            d.message.find(message) != std::string::npos)
            return &d;
    return nullptr;
}

inline LoadResult load(std::string_view toml) { return load_string(toml, "/etc/mxlab/test.toml"); }

}  // namespace mxlab::config::test
