// DNS wire format: the message header, type/class/rcode numbers and domain-name helpers (RFC 1035).
//
// The header, drawn once (RFC 1035 section 4.1.1):
//
//                                   1  1  1  1  1  1
//     0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                      ID                       |   offset 0
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |   offset 2
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//   |                    QDCOUNT                    |   offset 4
//   |                    ANCOUNT                    |   offset 6
//   |                    NSCOUNT                    |   offset 8
//   |                    ARCOUNT                    |   offset 10
//   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//
// Names here are always uncompressed wire names: labels (a length byte and that
// many bytes) ending with the root label, at most 255 bytes. Names kept in the
// zone tables are lower case (ASCII only, RFC 4343), so that comparing names is
// comparing bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mxlab::dns {

namespace rrtype {
inline constexpr std::uint16_t A = 1;
inline constexpr std::uint16_t NS = 2;
inline constexpr std::uint16_t CNAME = 5;
inline constexpr std::uint16_t SOA = 6;
inline constexpr std::uint16_t PTR = 12;
inline constexpr std::uint16_t MX = 15;
inline constexpr std::uint16_t TXT = 16;
inline constexpr std::uint16_t AAAA = 28;
inline constexpr std::uint16_t SRV = 33;
inline constexpr std::uint16_t DNAME = 39;
inline constexpr std::uint16_t OPT = 41;
inline constexpr std::uint16_t DS = 43;
inline constexpr std::uint16_t RRSIG = 46;
inline constexpr std::uint16_t NSEC = 47;
inline constexpr std::uint16_t DNSKEY = 48;
inline constexpr std::uint16_t NSEC3 = 50;
inline constexpr std::uint16_t NSEC3PARAM = 51;
inline constexpr std::uint16_t TKEY = 249;
inline constexpr std::uint16_t TSIG = 250;
inline constexpr std::uint16_t IXFR = 251;
inline constexpr std::uint16_t AXFR = 252;
inline constexpr std::uint16_t MAILB = 253;
inline constexpr std::uint16_t MAILA = 254;
inline constexpr std::uint16_t ANY = 255;
inline constexpr std::uint16_t CAA = 257;
}  // namespace rrtype

namespace rrclass {
inline constexpr std::uint16_t IN = 1;
inline constexpr std::uint16_t CH = 3;
inline constexpr std::uint16_t HS = 4;
inline constexpr std::uint16_t NONE = 254;
inline constexpr std::uint16_t ANY = 255;
}  // namespace rrclass

namespace rcode {
inline constexpr std::uint8_t noerror = 0;
inline constexpr std::uint8_t formerr = 1;
inline constexpr std::uint8_t servfail = 2;
inline constexpr std::uint8_t nxdomain = 3;
inline constexpr std::uint8_t notimp = 4;
inline constexpr std::uint8_t refused = 5;
inline constexpr std::uint8_t notauth = 9;
inline constexpr std::uint16_t badvers = 16;  // extended: upper 8 bits go in the OPT TTL
}  // namespace rcode

namespace opcode {
inline constexpr std::uint8_t query = 0;
inline constexpr std::uint8_t notify = 4;
}  // namespace opcode

// Header flag bits (the 16-bit word at offset 2).
namespace flag {
inline constexpr std::uint16_t qr = 0x8000;
inline constexpr std::uint16_t aa = 0x0400;
inline constexpr std::uint16_t tc = 0x0200;
inline constexpr std::uint16_t rd = 0x0100;
inline constexpr std::uint16_t ra = 0x0080;
}  // namespace flag

// Extended DNS Error codes (RFC 8914) that NSD 4.6 attaches to its refusals.
namespace ede {
inline constexpr std::uint16_t prohibited = 18;
inline constexpr std::uint16_t not_authoritative = 20;
inline constexpr std::uint16_t not_supported = 21;
}  // namespace ede

inline constexpr std::size_t header_size = 12;
inline constexpr std::size_t max_name = 255;
inline constexpr std::size_t max_label = 63;
inline constexpr std::size_t max_labels = 128;  // 127 one-byte labels + root
inline constexpr std::size_t max_message = 65535;
// Offsets above this cannot be the target of a compression pointer (14 bits).
inline constexpr std::size_t max_pointer_target = 0x3FFF;

inline std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
inline std::uint32_t get32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}
inline void put16(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void put32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

inline std::uint8_t ascii_lower(std::uint8_t c) {
    return static_cast<std::uint8_t>(static_cast<unsigned>(c - 'A') < 26u ? c + 32 : c);
}

// A parsed name: lower-case wire bytes plus where each label starts
// (label_offsets[labels - 1] is the root label).
struct Name {
    std::array<std::uint8_t, max_name> bytes;
    std::array<std::uint8_t, max_labels> label_offsets;
    std::uint8_t len = 0;     // wire length including the root label
    std::uint8_t labels = 0;  // including the root label

    std::span<const std::uint8_t> wire() const { return {bytes.data(), len}; }
    std::span<const std::uint8_t> suffix(std::size_t label) const {
        return {bytes.data() + label_offsets[label], static_cast<std::size_t>(len - label_offsets[label])};
    }
};

// Reads an uncompressed name at data[pos] into `out` (lower-cased). Returns the
// number of bytes it took, or 0 when it is not a valid uncompressed name (a
// compression pointer, a reserved label type, too long, or past the end).
std::size_t parse_name(std::span<const std::uint8_t> data, std::size_t pos, Name& out);

// Fills `out` from a trusted uncompressed wire name (from the zone tables).
void name_from_wire(std::span<const std::uint8_t> wire, Name& out);

// Length of a trusted uncompressed wire name starting at p.
inline std::size_t wire_name_length(const std::uint8_t* p) {
    const std::uint8_t* s = p;
    while (*p != 0) p += *p + 1;
    return static_cast<std::size_t>(p - s) + 1;
}

// Skips a possibly compressed name (as in an RR owner of a query's additional
// section). Returns the position after it, or 0 when malformed.
std::size_t skip_name(std::span<const std::uint8_t> data, std::size_t pos);

// A fast, non-cryptographic hash of wire bytes (the lookup table's key).
inline std::uint64_t hash_bytes(const std::uint8_t* p, std::size_t n) {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBull;
    h ^= h >> 32;
    return h;
}

// Lower-case wire name from text: "www.sina.com", "www.sina.com." and "." are
// accepted; no escapes (these come from validated config host names).
std::optional<std::vector<std::uint8_t>> name_from_text(std::string_view text);

// Presentation form with a trailing dot ("www.sina.com."), escaping bytes that
// are not letters, digits, '-', '_' or '*' as RFC 1035 section 5.1 does.
std::string name_to_text(std::span<const std::uint8_t> wire);

// Without the trailing dot, as config strings are written ("" for the root).
std::string name_to_host(std::span<const std::uint8_t> wire);

// True when `name` equals `zone` or lies below it (both lower-case wire names).
bool name_in_zone(std::span<const std::uint8_t> name, std::span<const std::uint8_t> zone);

// DNSSEC canonical order (RFC 4034 section 6.1) of lower-case wire names.
int canonical_compare(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
// A byte string whose plain byte order is that canonical order (labels from
// the right, each escaped and ended by 0x00), for sorting many names fast.
std::string canonical_key(std::span<const std::uint8_t> name);
void append_canonical_key(std::string& out, std::span<const std::uint8_t> name);

// Where names sit inside the RDATA of the types we lay out ourselves; the
// others are opaque bytes. Compressed: may be written with compression
// pointers (RFC 3597 section 4: only the RFC 1035 types).
struct RdataNames {
    std::uint8_t prefix = 0;  // fixed bytes before the first name
    std::uint8_t count = 0;   // names in a row after the prefix
    bool compress = false;
};
inline RdataNames rdata_names(std::uint16_t type) {
    switch (type) {
        case rrtype::NS:
        case rrtype::CNAME:
        case rrtype::PTR:
            return {0, 1, true};
        case rrtype::MX:
            return {2, 1, true};
        case rrtype::SOA:
            return {0, 2, true};
        case rrtype::SRV:
            return {6, 1, false};
        default:
            return {};
    }
}

}  // namespace mxlab::dns
