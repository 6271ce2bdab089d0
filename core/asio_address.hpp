// Conversions between mxlab's IpAddr and Asio's address, for every server and the resolver (header-only: config itself never includes Asio).
#pragma once

#include <algorithm>

#include "core/asio.hpp"
#include "core/ip_address.hpp"

namespace mxlab {

inline asio::ip::address to_asio(const IpAddr& a) {
    if (a.v6) {
        asio::ip::address_v6::bytes_type b;
        std::copy(a.bytes.begin(), a.bytes.end(), b.begin());
        return asio::ip::address_v6(b);
    }
    return asio::ip::address_v4({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
}

// An IPv4-mapped IPv6 peer (::ffff:a.b.c.d on a dual-stack socket) becomes
// IPv4, so that ACLs written as IPv4 prefixes match it.
inline IpAddr from_asio(const asio::ip::address& a) {
    IpAddr r;
    if (a.is_v6()) {
        auto v6 = a.to_v6();
        if (v6.is_v4_mapped()) {
            auto b = asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes();
            std::copy(b.begin(), b.end(), r.bytes.begin());
            return r;
        }
        r.v6 = true;
        auto b = v6.to_bytes();
        std::copy(b.begin(), b.end(), r.bytes.begin());
    } else {
        auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), r.bytes.begin());
    }
    return r;
}

}  // namespace mxlab
