// Canonical user keys, mailbox name rules, and the small helpers of types.hpp.
#include "mail/store/names.hpp"

#include <algorithm>

#include "core/ascii.hpp"

namespace mxlab::store {

namespace {


}  // namespace

Result<std::string> canonical_user(std::string_view address) {
    if (address.empty()) return make_error(Errc::invalid, "empty user name");
    std::string out;
    out.reserve(address.size());
    for (char c : address) {
        // NUL separates the user from the mailbox name in keys (keys.hpp).
        if (c == '\0' || c == '\r' || c == '\n' || c == ' ') return make_error(Errc::invalid, "bad character in user name");
        out.push_back(lower(c));
    }
    return out;
}

Result<std::string> normalize_mailbox(std::string_view name) {
    if (name.empty()) return make_error(Errc::invalid, "empty mailbox name");
    if (name.size() > 1000) return make_error(Errc::invalid, "mailbox name too long");
    for (char c : name) {
        if (c == '\0' || c == '\r' || c == '\n') return make_error(Errc::invalid, "bad character in mailbox name");
        if (c == '*' || c == '%') return make_error(Errc::invalid, "mailbox names cannot contain * or %");
    }
    if (name.front() == hierarchy_separator || name.back() == hierarchy_separator ||
        name.find("//") != std::string_view::npos)
        return make_error(Errc::invalid, "empty level in mailbox name");
    std::string out(name);
    auto first_level = std::string_view(out).substr(0, out.find(hierarchy_separator));
    if (iequals(first_level, "INBOX")) std::copy_n("INBOX", 5, out.begin());
    return out;
}

Status check_keywords(const Flags& flags) {
    for (const auto& k : flags.keywords) {
        if (k.empty() || k.size() > max_keyword_length)
            return make_error(Errc::invalid, "a keyword must have 1 to " + std::to_string(max_keyword_length) + " characters");
        for (char c : k) {
            auto u = static_cast<unsigned char>(c);
            if (u <= 0x20 || u >= 0x7f || std::string_view("(){%*\"\\]").find(c) != std::string_view::npos)
                return make_error(Errc::invalid, "a keyword cannot have spaces, control or 8-bit characters, or any of ( ) { % * \" \\ ]");
        }
    }
    return {};
}

bool is_inbox(std::string_view normalized) { return normalized == "INBOX"; }

SpecialUse special_use_of(std::string_view normalized) {
    if (normalized == "Sent") return SpecialUse::sent;
    if (normalized == "Drafts") return SpecialUse::drafts;
    if (normalized == "Trash") return SpecialUse::trash;
    if (normalized == "Junk") return SpecialUse::junk;
    return SpecialUse::none;
}

std::string_view to_string(SpecialUse use) {
    switch (use) {
        case SpecialUse::none: return "";
        case SpecialUse::sent: return "\\Sent";
        case SpecialUse::drafts: return "\\Drafts";
        case SpecialUse::trash: return "\\Trash";
        case SpecialUse::junk: return "\\Junk";
    }
    return "";
}

std::string_view to_string(RecipientState state) {
    switch (state) {
        case RecipientState::pending: return "pending";
        case RecipientState::delivered: return "delivered";
        case RecipientState::failed: return "failed";
        case RecipientState::bounced: return "bounced";
    }
    return "?";
}

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::not_found: return "not_found";
        case Errc::already_exists: return "already_exists";
        case Errc::invalid: return "invalid";
        case Errc::io: return "io";
        case Errc::corrupt: return "corrupt";
        case Errc::closed: return "closed";
        case Errc::gone: return "gone";
    }
    return "?";
}

std::string uidl(std::uint32_t uidvalidity, Uid uid) { return std::to_string(uidvalidity) + "." + std::to_string(uid); }

UidSet uid_set(std::vector<Uid> uids) {
    std::sort(uids.begin(), uids.end());
    UidSet out;
    for (Uid u : uids) {
        if (!out.empty() && (u == out.back().last || u == out.back().last + 1)) out.back().last = u;
        else out.push_back({u, u});
    }
    return out;
}

bool contains(const UidSet& set, Uid uid) {
    return std::any_of(set.begin(), set.end(), [uid](const UidRange& r) { return uid >= r.first && uid <= r.last; });
}

}  // namespace mxlab::store
