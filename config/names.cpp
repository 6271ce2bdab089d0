// Syntax of host names, zone names and local parts, and the case rules for comparing them.
#include <algorithm>
#include <cctype>

#include "config/detail.hpp"

namespace mxlab::config {

namespace detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

std::vector<std::string_view> split_labels(std::string_view name) {
    std::vector<std::string_view> labels;
    for (std::size_t start = 0;;) {
        const auto dot = name.find('.', start);
        labels.push_back(name.substr(start, dot - start));
        if (dot == std::string_view::npos) return labels;
        start = dot + 1;
    }
}

// A character for a message: control characters would garble the terminal.
std::string show_char(char c) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) return "'" + std::string(1, c) + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[(c >> 4) & 0xf] + hex[c & 0xf];
}

// RFC 1035 section 2.3.1 (LDH) with RFC 1123's relaxation that labels may start with a digit.
std::string ldh_problem(const std::vector<std::string_view>& labels, std::string_view name) {
    if (name.size() > 253) return "is longer than 253 characters";
    for (auto l : labels) {
        if (l.empty()) return "has an empty label (two dots in a row, or a leading dot)";
        if (l.size() > 63) return "has a label longer than 63 characters (" + quote(l) + ")";
        for (char c : l)
            if (!is_alnum(c) && c != '-')
                return "has the character " + show_char(c) + " (in " + quote(l) +
                       "); names use letters, digits and '-'";
        if (l.front() == '-' || l.back() == '-') return "has a label starting or ending with '-' (" + quote(l) + ")";
    }
    return {};
}

// RFC 2317 lets the first label of a classless delegation be "0-25" or "0/25".
bool reverse_v4_label(std::string_view l, bool first) {
    auto octet = [](std::string_view s) { return all_digits(s) && s.size() <= 3 && std::stoi(std::string(s)) <= 255; };
    if (octet(l)) return true;
    const auto sep = l.find_first_of("-/");
    return first && sep != std::string_view::npos && octet(l.substr(0, sep)) && all_digits(l.substr(sep + 1)) &&
           l.size() - sep - 1 <= 3;
}

std::string reverse_problem(std::string_view name) {
    const bool v4 = name == "in-addr.arpa" || name.ends_with(".in-addr.arpa");
    const std::string_view suffix = v4 ? "in-addr.arpa" : "ip6.arpa";
    if (name.size() == suffix.size()) return "is the whole reverse tree; name a zone below it, like \"1.0.10.in-addr.arpa\"";
    const auto labels = split_labels(name.substr(0, name.size() - suffix.size() - 1));
    if (v4) {
        if (labels.size() > 4) return "has more than 4 address labels before in-addr.arpa";
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (!reverse_v4_label(labels[i], i == 0))
                return "has " + quote(labels[i]) + ", which is not a number 0..255 (reverse zones list the address backwards)";
        return {};
    }
    if (labels.size() > 32) return "has more than 32 nibble labels before ip6.arpa";
    for (auto l : labels)
        if (l.size() != 1 || !std::isxdigit(static_cast<unsigned char>(l[0])))
            return "has " + quote(l) + ", which is not one hex digit (ip6.arpa names list the address nibble by nibble)";
    return {};
}

bool is_atext(char c) {
    // RFC 5322 section 3.2.3; bytes >= 0x80 are UTF-8 (RFC 6531), which TOML guarantees is valid.
    static constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
    return is_alnum(c) || specials.find(c) != std::string_view::npos || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

std::string key_part(std::string_view name) {
    const bool bare = !name.empty() && std::all_of(name.begin(), name.end(),
                                                   [](char c) { return is_alnum(c) || c == '_' || c == '-'; });
    return bare ? std::string(name) : quote(name);
}

std::string quote(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[(c >> 4) & 0xf];
            out += hex[c & 0xf];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string normalize_name(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    return lower(name);
}

std::string hostname_problem(std::string_view name) {
    if (name.empty()) return "is empty";
    const auto labels = split_labels(name);
    if (auto p = ldh_problem(labels, name); !p.empty()) return p;
    if (labels.size() < 2) return "needs at least two labels, like \"mail.sina.com\"";
    if (all_digits(labels.back())) return "looks like an address; a host name is a name like \"mail.sina.com\"";
    return {};
}

std::string domain_problem(std::string_view name, bool mail) {
    if (name.empty()) return "is empty";
    const bool reverse = name == "in-addr.arpa" || name == "ip6.arpa" || name.ends_with(".in-addr.arpa") ||
                         name.ends_with(".ip6.arpa");
    const auto labels = split_labels(name);
    if (reverse) {
        if (name.size() > 253) return "is longer than 253 characters";
        if (auto p = reverse_problem(name); !p.empty()) return p;
        if (mail) return "is a reverse zone, which cannot receive mail: add mail = false";
        return {};
    }
    if (auto p = ldh_problem(labels, name); !p.empty()) return p;
    if (mail && labels.size() < 2) return "needs at least two labels for mail, like \"sina.com\"";
    if (all_digits(labels.back())) return "looks like an address; a domain is a name like \"sina.com\"";
    return {};
}

std::string local_part_problem(std::string_view local) {
    if (local.empty()) return "is empty";
    if (local.size() > 64) return "is longer than 64 characters (RFC 5321 section 4.5.3.1.1)";
    if (local.find('@') != std::string_view::npos) return "contains '@': write the local part only (Bob, not Bob@sina.com)";
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
        return "has a dot at the start, at the end or twice in a row";
    for (char c : local)
        if (c != '.' && !is_atext(c))
            return "has the character " + show_char(c) + ", which an address cannot carry unquoted";
    return {};
}

bool in_zone(std::string_view name, std::string_view zone) {
    return name == zone ||
           (name.size() > zone.size() && name.ends_with(zone) && name[name.size() - zone.size() - 1] == '.');
}

}  // namespace detail

const Domain* Config::find_domain(std::string_view name) const {
    if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
    for (const auto& d : domains)
        if (iequals(d.name, name)) return &d;
    return nullptr;
}

}  // namespace mxlab::config
