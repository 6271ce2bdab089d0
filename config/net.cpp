// Addresses, prefixes and endpoints as written in the TOML, and this machine's own addresses.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "config/config.hpp"

namespace mxlab::config {

namespace {

// Parses a decimal number that must use all of `text` and be at most `max`.
std::optional<unsigned> parse_uint(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v > max) return std::nullopt;
    return v;
}

}  // namespace

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    std::string_view host = text;
    std::string_view port;
    const bool bracketed = !text.empty() && text.front() == '[';
    if (bracketed) {
        // "[::1]:53" or "[::1]": brackets are how an IPv6 address gets a port.
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        auto after = text.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            port = after.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else if (const auto colon = text.find(':'); colon != std::string_view::npos &&
                                                   text.find(':', colon + 1) == std::string_view::npos) {
        // Exactly one colon: IPv4 with a port. More colons: a bare IPv6 address.
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return std::nullopt;
    }
    auto a = IpAddr::parse(host);
    if (!a || (bracketed && !a->v6)) return std::nullopt;
    Endpoint e{*a, 53};
    if (!port.empty()) {
        auto p = parse_uint(port, 65535);
        if (!p || *p == 0) return std::nullopt;
        e.port = static_cast<std::uint16_t>(*p);
    }
    return e;
}

std::string Endpoint::str() const {
    return (addr.v6 ? "[" + addr.str() + "]" : addr.str()) + ":" + std::to_string(port);
}

std::vector<IpAddr> interface_addresses() {
    std::vector<IpAddr> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) continue;
        IpAddr a;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            a.v6 = true;
            std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
            // fe80::/10 is only meaningful with an interface scope, which DNS cannot carry.
            if (a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80) continue;
        } else {
            continue;
        }
        if (a.is_loopback() || std::find(out.begin(), out.end(), a) != out.end()) continue;
        out.push_back(a);
    }
    freeifaddrs(list);
    return out;
}

}  // namespace mxlab::config
