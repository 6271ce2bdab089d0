// LIST pattern matching; see list_match.hpp.
#include "mail/imap/list_match.hpp"

#include <vector>

#include "core/ascii.hpp"
#include "mail/store/types.hpp"

namespace mxlab::imap {

std::string list_pattern(std::string_view reference, std::string_view pattern) {
    if (reference.empty()) return std::string(pattern);
    std::string p(reference);
    if (!pattern.empty() && pattern[0] == store::hierarchy_separator && p.back() == store::hierarchy_separator) pattern.remove_prefix(1);
    p += pattern;
    return p;
}

namespace {

// "inbox" and "inbox/..." in any case are INBOX (names.hpp): compare with it spelled that way.
std::string inbox_cased(std::string_view s) {
    std::string out(s);
    if (istarts_with(s, "INBOX") && (s.size() == 5 || s[5] == store::hierarchy_separator)) out.replace(0, 5, "INBOX");
    return out;
}

}  // namespace

// A run of wildcards matches what its widest member does: "%*%" is "*", "%%" is "%".
std::string collapse_wildcards(std::string_view p) {
    std::string out;
    for (std::size_t i = 0; i < p.size();) {
        if (p[i] != '*' && p[i] != '%') {
            out += p[i++];
            continue;
        }
        bool star = false;
        for (; i < p.size() && (p[i] == '*' || p[i] == '%'); ++i) star = star || p[i] == '*';
        out += star ? '*' : '%';
    }
    return out;
}

bool list_matches(std::string_view pattern_in, std::string_view name_in) {
    const std::string pattern = collapse_wildcards(inbox_cased(pattern_in));
    const std::string name = inbox_cased(name_in);
    // Each character that is not a wildcard matches one of the name's: more of them than it has, no match.
    std::size_t literal = 0;
    for (char c : pattern) literal += c != '*' && c != '%';
    if (literal > name.size()) return false;
    // Dynamic programming over (pattern position, name position), one row at a time.
    const std::size_t n = name.size();
    std::vector<char> row(n + 1, 0), next(n + 1, 0);
    row[0] = 1;
    for (char pc : pattern) {
        std::fill(next.begin(), next.end(), 0);
        if (pc == '*' || pc == '%') {
            // next[j] = any row[k] for k <= j with name[k..j) free of '/' when '%'.
            char reach = 0;
            for (std::size_t j = 0; j <= n; ++j) {
                if (pc == '%' && j > 0 && name[j - 1] == store::hierarchy_separator) reach = 0;
                reach = reach || row[j];
                next[j] = reach;
            }
        } else {
            for (std::size_t j = 1; j <= n; ++j) next[j] = row[j - 1] && name[j - 1] == pc;
        }
        row.swap(next);
    }
    return row[n] != 0;
}

}  // namespace mxlab::imap
