// Parsing, printing and comparing IP addresses and prefixes.
#include "core/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mxlab {

namespace {

// A prefix length that must use all of `text` and be at most `max`.
std::optional<unsigned> parse_prefix(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 3) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v > max) return std::nullopt;
    return v;
}

}  // namespace

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
    // inet_pton needs a NUL-terminated string; the longest IPv6 text form is 45 characters.
    if (text.empty() || text.size() > 45) return std::nullopt;
    char buf[46];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    IpAddr a;
    if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) return a;
    return std::nullopt;
}

std::string IpAddr::str() const {
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf)) return {};
    return buf;
}

bool IpAddr::is_loopback() const {
    if (!v6) return bytes[0] == 127;
    static constexpr std::array<std::uint8_t, 16> one{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (bytes == one) return true;
    // ::ffff:127.x.y.z reaches the IPv4 loopback through a dual-stack socket.
    const bool mapped = std::all_of(bytes.begin(), bytes.begin() + 10, [](auto b) { return b == 0; }) &&
                        bytes[10] == 0xff && bytes[11] == 0xff;
    return mapped && bytes[12] == 127;
}

IpAddr IpAddr::client_scope() const {
    if (!v6) return *this;
    const bool mapped = std::all_of(bytes.begin(), bytes.begin() + 10, [](auto b) { return b == 0; }) &&
                        bytes[10] == 0xff && bytes[11] == 0xff;
    IpAddr out;
    if (mapped) {
        std::copy(bytes.begin() + 12, bytes.end(), out.bytes.begin());
        return out;
    }
    out.v6 = true;
    std::copy(bytes.begin(), bytes.begin() + 8, out.bytes.begin());
    return out;
}

bool IpAddr::is_unspecified() const {
    const auto n = v6 ? 16 : 4;
    return std::all_of(bytes.begin(), bytes.begin() + n, [](auto b) { return b == 0; });
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
    const auto slash = text.find('/');
    auto addr = IpAddr::parse(text.substr(0, slash));
    if (!addr) return std::nullopt;
    const unsigned max = addr->v6 ? 128 : 32;
    if (slash == std::string_view::npos) return Cidr{*addr, static_cast<int>(max)};
    auto prefix = parse_prefix(text.substr(slash + 1), max);
    if (!prefix) return std::nullopt;
    return Cidr{*addr, static_cast<int>(*prefix)};
}

bool Cidr::contains(const IpAddr& a) const {
    if (a.v6 != addr.v6) return false;
    const int full = prefix / 8;
    if (!std::equal(addr.bytes.begin(), addr.bytes.begin() + full, a.bytes.begin())) return false;
    const int rest = prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (addr.bytes[full] & mask) == (a.bytes[full] & mask);
}

std::string Cidr::str() const { return addr.str() + "/" + std::to_string(prefix); }

}  // namespace mxlab
