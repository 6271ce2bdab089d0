// IP addresses and prefixes as mxlab compares and prints them (no Asio here: core/asio_address.hpp converts).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxlab {

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
struct IpAddr {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};

    static std::optional<IpAddr> parse(std::string_view text);
    std::string str() const;
    bool is_loopback() const;
    bool is_unspecified() const;  // 0.0.0.0 or ::, i.e. "every address" in listen
    // What a per-client limit counts as one client: an IPv4 address (also seen
    // IPv4-mapped through a dual-stack socket), or the /64 of an IPv6 one, as
    // one host usually owns a /64.
    IpAddr client_scope() const;
    auto operator<=>(const IpAddr&) const = default;
};

// An address prefix such as "10.0.0.0/8" or "fd00::/8"; a bare address is a host prefix.
struct Cidr {
    IpAddr addr;
    int prefix = 0;

    static std::optional<Cidr> parse(std::string_view text);
    bool contains(const IpAddr& a) const;
    std::string str() const;
    bool operator==(const Cidr&) const = default;
};

}  // namespace mxlab
