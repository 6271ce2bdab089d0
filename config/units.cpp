// Sizes, durations, enum names and the one-line form of a diagnostic.
#include <charconv>
#include <limits>

#include "core/ascii.hpp"
#include "config/config.hpp"

namespace mxlab::config {

namespace {

// Splits "25M" into 25 and 'M'; the number must be plain decimal digits.
std::optional<std::pair<std::uint64_t, char>> number_and_suffix(std::string_view text) {
    char suffix = 0;
    if (!text.empty() && (text.back() < '0' || text.back() > '9')) {
        suffix = text.back();
        text.remove_suffix(1);
    }
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    suffix = lower(suffix);
    return std::pair{n, suffix};
}

std::optional<std::uint64_t> times(std::uint64_t n, std::uint64_t unit) {
    if (n > std::numeric_limits<std::uint64_t>::max() / unit) return std::nullopt;
    return n * unit;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    auto parts = number_and_suffix(text);
    if (!parts) return std::nullopt;
    switch (parts->second) {
    case 0: return parts->first;
    case 'k': return times(parts->first, 1ull << 10);
    case 'm': return times(parts->first, 1ull << 20);
    case 'g': return times(parts->first, 1ull << 30);
    default: return std::nullopt;
    }
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    auto parts = number_and_suffix(text);
    if (!parts) return std::nullopt;
    std::optional<std::uint64_t> s;
    switch (parts->second) {
    case 0:
    case 's': s = parts->first; break;
    case 'm': s = times(parts->first, 60); break;
    case 'h': s = times(parts->first, 3600); break;
    case 'd': s = times(parts->first, 86400); break;
    default: return std::nullopt;
    }
    // chrono::seconds is signed: keep clear of its range.
    if (!s || *s > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return std::chrono::seconds{static_cast<std::int64_t>(*s)};
}

std::string_view to_string(LogLevel l) {
    switch (l) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "?";
}

std::string_view to_string(Relay r) {
    switch (r) {
    case Relay::none: return "none";
    case Relay::authenticated: return "authenticated";
    case Relay::networks: return "networks";
    case Relay::open: return "open";
    }
    return "?";
}

std::string format(const std::filesystem::path& file, const Diagnostic& d) {
    std::string out = file.string();
    if (d.pos.line > 0) {
        out += ':' + std::to_string(d.pos.line);
        if (d.pos.column > 0) out += ':' + std::to_string(d.pos.column);
    }
    out += d.severity == Diagnostic::Severity::error ? ": error: " : ": warning: ";
    if (!d.key.empty()) out += d.key + ": ";
    out += d.message;
    return out;
}

}  // namespace mxlab::config
