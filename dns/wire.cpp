// Domain-name helpers for the wire format: parsing query names, text forms, ordering.
#include "dns/wire.hpp"

#include <algorithm>

namespace mxlab::dns {

std::size_t parse_name(std::span<const std::uint8_t> data, std::size_t pos, Name& out) {
    const std::size_t start = pos;
    std::size_t len = 0;
    std::uint8_t labels = 0;
    for (;;) {
        if (pos >= data.size()) return 0;
        const std::uint8_t l = data[pos];
        // 0xC0 is a compression pointer, 0x40/0x80 are reserved label types:
        // none belongs in a query name (RFC 1035 4.1.4 allows pointers, but a
        // question is the first name of the message, so a pointer can only
        // point forward or loop; NSD rejects them too).
        if (l > max_label) return 0;
        if (len + l + 1 > max_name || pos + l + 1 > data.size()) return 0;
        out.label_offsets[labels++] = static_cast<std::uint8_t>(len);
        out.bytes[len++] = l;
        for (std::size_t i = 1; i <= l; ++i) out.bytes[len++] = ascii_lower(data[pos + i]);
        pos += l + 1;
        if (l == 0) break;
    }
    out.len = static_cast<std::uint8_t>(len);
    out.labels = labels;
    return pos - start;
}

void name_from_wire(std::span<const std::uint8_t> wire, Name& out) {
    std::size_t pos = 0;
    std::uint8_t labels = 0;
    while (pos < wire.size()) {
        out.label_offsets[labels++] = static_cast<std::uint8_t>(pos);
        const std::uint8_t l = wire[pos];
        pos += l + 1;
        if (l == 0) break;
    }
    std::memcpy(out.bytes.data(), wire.data(), pos);
    out.len = static_cast<std::uint8_t>(pos);
    out.labels = labels;
}

std::size_t skip_name(std::span<const std::uint8_t> data, std::size_t pos) {
    for (;;) {
        if (pos >= data.size()) return 0;
        const std::uint8_t l = data[pos];
        if ((l & 0xC0) == 0xC0) return pos + 2 <= data.size() ? pos + 2 : 0;
        if (l > max_label) return 0;
        pos += l + 1;
        if (l == 0) return pos <= data.size() ? pos : 0;
    }
}

std::optional<std::vector<std::uint8_t>> name_from_text(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    std::vector<std::uint8_t> out;
    while (!text.empty()) {
        const auto dot = text.find('.');
        const std::string_view label = text.substr(0, dot);
        if (label.empty() || label.size() > max_label) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(label.size()));
        for (char c : label) out.push_back(ascii_lower(static_cast<std::uint8_t>(c)));
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
        if (text.empty()) return std::nullopt;  // "a..b" or a double trailing dot
    }
    out.push_back(0);
    if (out.size() > max_name) return std::nullopt;
    return out;
}

namespace {

void append_label(std::string& s, const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t c = p[i];
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_' || (c == '*' && n == 1);
        if (plain) {
            s.push_back(static_cast<char>(c));
        } else if (c > 0x20 && c < 0x7F && c != '.' && c != '\\' && c != '"' && c != '(' && c != ')' && c != ';' &&
                   c != '@' && c != '$') {
            s.push_back(static_cast<char>(c));
        } else if (c > 0x20 && c < 0x7F) {
            s.push_back('\\');
            s.push_back(static_cast<char>(c));
        } else {
            char buf[5];
            buf[0] = '\\';
            buf[1] = static_cast<char>('0' + c / 100);
            buf[2] = static_cast<char>('0' + c / 10 % 10);
            buf[3] = static_cast<char>('0' + c % 10);
            buf[4] = 0;
            s += buf;
        }
    }
}

}  // namespace

std::string name_to_text(std::span<const std::uint8_t> wire) {
    std::string s;
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        append_label(s, wire.data() + pos + 1, wire[pos]);
        s.push_back('.');
        pos += wire[pos] + 1;
    }
    if (s.empty()) s.push_back('.');
    return s;
}

std::string name_to_host(std::span<const std::uint8_t> wire) {
    std::string s = name_to_text(wire);
    s.pop_back();  // "." becomes ""
    return s;
}

bool name_in_zone(std::span<const std::uint8_t> name, std::span<const std::uint8_t> zone) {
    if (zone.size() > name.size()) return false;
    // Walk labels so that "xsina.com" is not taken for a name below "sina.com".
    std::size_t pos = 0;
    const std::size_t want = name.size() - zone.size();
    while (pos < want) pos += name[pos] + 1;
    return pos == want && std::memcmp(name.data() + pos, zone.data(), zone.size()) == 0;
}

int canonical_compare(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    std::array<std::uint8_t, max_labels> la{}, lb{};
    std::size_t na = 0, nb = 0;
    for (std::size_t p = 0; a[p] != 0; p += a[p] + 1) la[na++] = static_cast<std::uint8_t>(p);
    for (std::size_t p = 0; b[p] != 0; p += b[p] + 1) lb[nb++] = static_cast<std::uint8_t>(p);
    // Compare from the rightmost label; each label as a byte string.
    while (na > 0 && nb > 0) {
        const std::uint8_t* x = a.data() + la[--na];
        const std::uint8_t* y = b.data() + lb[--nb];
        const int c = std::memcmp(x + 1, y + 1, std::min(x[0], y[0]));
        if (c != 0) return c < 0 ? -1 : 1;
        if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    }
    if (na == nb) return 0;
    return na < nb ? -1 : 1;
}

void append_canonical_key(std::string& key, std::span<const std::uint8_t> name) {
    std::array<std::uint8_t, max_labels> starts{};
    std::size_t n = 0;
    for (std::size_t p = 0; p < name.size() && name[p] != 0; p += name[p] + 1)
        starts[n++] = static_cast<std::uint8_t>(p);
    while (n > 0) {
        const std::uint8_t* l = name.data() + starts[--n];
        for (std::size_t i = 1; i <= l[0]; ++i) {
            // 0x00 ends a label, so it and the escape byte itself are escaped.
            if (l[i] <= 1) {
                key.push_back('\x01');
                key.push_back(static_cast<char>(l[i] + 1));
            } else {
                key.push_back(static_cast<char>(l[i]));
            }
        }
        key.push_back('\0');
    }
}

std::string canonical_key(std::span<const std::uint8_t> name) {
    std::string key;
    key.reserve(name.size() + 4);
    append_canonical_key(key, name);
    return key;
}

}  // namespace mxlab::dns
