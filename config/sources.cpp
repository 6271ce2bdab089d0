// Collecting diagnostics, and looking up where a value was written.
#include <algorithm>

#include "config/detail.hpp"

namespace mxlab::config::detail {

namespace {

SourcePos find(const PosMap& at, std::string_view key) {
    auto it = at.find(key);
    return it == at.end() ? SourcePos{} : it->second;
}

}  // namespace

SourcePos DomainSources::get(std::string_view rel) const {
    auto p = find(at, rel);
    return p.line ? p : table;
}

SourcePos Sources::get(std::string_view key) const {
    if (auto p = find(at, key); p.line) return p;
    // A default has no position of its own: point at its table if the file has one.
    const auto dot = key.find('.');
    return dot == std::string_view::npos ? SourcePos{} : find(at, key.substr(0, dot));
}

void Diagnostics::error(SourcePos pos, std::string key, std::string message) {
    list_.push_back({Diagnostic::Severity::error, pos, std::move(key), std::move(message)});
    ++errors_;
}

void Diagnostics::warning(SourcePos pos, std::string key, std::string message) {
    list_.push_back({Diagnostic::Severity::warning, pos, std::move(key), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::take() {
    // Problems without a position (a missing table) come first, then the file top to bottom.
    std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        return std::pair{a.pos.line, a.pos.column} < std::pair{b.pos.line, b.pos.column};
    });
    errors_ = 0;
    return std::move(list_);
}

}  // namespace mxlab::config::detail
