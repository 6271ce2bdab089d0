// IMAP response syntax pieces; see format.hpp.
#include "mail/imap/format.hpp"

#include "core/ascii.hpp"

namespace mxlab::imap {

void append_flags(std::string& out, const store::Flags& flags, bool recent) {
    out += '(';
    const std::size_t start = out.size();
    auto add = [&](std::string_view f) {
        if (out.size() > start) out += ' ';
        out += f;
    };
    if (flags.has(store::flag_answered)) add("\\Answered");
    if (flags.has(store::flag_flagged)) add("\\Flagged");
    if (flags.has(store::flag_deleted)) add("\\Deleted");
    if (flags.has(store::flag_seen)) add("\\Seen");
    if (flags.has(store::flag_draft)) add("\\Draft");
    for (const auto& k : flags.keywords) add(k);
    if (recent) add("\\Recent");
    out += ')';
}

void append_sequence(std::string& out, const std::vector<std::uint32_t>& sorted) {
    bool first = true;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        if (!first) out += ',';
        first = false;
        out += std::to_string(sorted[i]);
        if (j > i) {
            out += ':';
            out += std::to_string(sorted[j]);
        }
        i = j + 1;
    }
}

namespace {

// RFC 9051 ATOM-CHAR plus "]" (ASTRING-CHAR).
bool astring_char(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) return false;
    switch (c) {
    case '(': case ')': case '{': case '%': case '*': case '"': case '\\': return false;
    default: return true;
    }
}

}  // namespace

void append_astring(std::string& out, std::string_view s) {
    bool atom = !s.empty() && !iequals(s, "NIL");
    for (unsigned char c : s) atom = atom && astring_char(c);
    if (atom) out += s;
    else append_string(out, s);
}

}  // namespace mxlab::imap
