// The IMAP session's SEARCH: the program run over the selected mailbox on the store's pool, answered as SEARCH or ESEARCH (RFC 9051 section 6.4.4, RFC 4731, RFC 5182 SAVE, RFC 7162 MODSEQ).
#include <algorithm>
#include <utility>

#include "mail/imap/format.hpp"
#include "mail/imap/search.hpp"
#include "mail/imap/session.hpp"
#include "mail/imap/session_internal.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

namespace {

bool uses_modseq(const SearchKey& key) {
    if (key.kind == SearchKey::Kind::modseq) return true;
    for (const auto& c : key.children)
        if (uses_modseq(c)) return true;
    return false;
}

constexpr std::size_t kSearchBatch = 256;           // messages per trip to the store's pool
constexpr std::uint64_t kSearchBytes = 8u << 20;    // message bytes read per trip (text keys)
constexpr std::size_t kMaxTextKeys = 32;            // header and body strings in one SEARCH

// Keys that read text (every one a pass over the header or the whole message).
std::size_t text_keys(const SearchKey& key) {
    using K = SearchKey::Kind;
    std::size_t n = 0;
    switch (key.kind) {
    case K::bcc: case K::cc: case K::from: case K::to: case K::subject: case K::body: case K::text: case K::header: n = 1; break;
    default: break;
    }
    for (const auto& c : key.children) n += text_keys(c);
    return n;
}

struct Found {
    std::vector<std::uint32_t> msns;
    std::vector<store::Uid> uids;
    store::ModSeq highest = 0;  // of the matches, for "(MODSEQ n)"
    std::optional<store::Error> error;
};

}  // namespace

asio::awaitable<void> Session::search(const Command& cmd) {
    Selected& sel = *selected_;
    MailboxView& v = sel.view;
    if (!known_charset(cmd.charset)) {
        tagged(cmd, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unknown charset.");
        co_return;
    }
    if (text_keys(cmd.search) > kMaxTextKeys) {
        // Each is a pass over every message: a bound, so that no SEARCH holds the store's threads for minutes.
        tagged(cmd, "NO", "[LIMIT] Too many text keys in one SEARCH (at most " + std::to_string(kMaxTextKeys) + ").");
        co_return;
    }
    const SearchKey program = cmd.charset.empty() ? cmd.search : to_utf8(cmd.search, cmd.charset);
    const bool modseq = uses_modseq(program);
    if (modseq) enabled_.condstore = true;
    SearchScope scope;
    scope.exists = v.exists();
    scope.last_uid = v.last_uid();
    scope.saved = saved_;
    const bool structure = needs_structure(program);
    const bool text = needs_text(program);

    // The messages the client knows, with their numbers and \Recent; the store gives the rest.
    std::vector<std::uint32_t> msns;
    std::vector<store::Uid> uids;
    for (std::uint32_t msn = 1; msn <= v.exists(); ++msn) {
        const auto& m = v.at(msn);
        if (m.expunged) continue;
        msns.push_back(msn);
        uids.push_back(m.uid);
    }
    // A trip to the store's pool at a time, each bounded by messages and bytes read, so one SEARCH
    // over a big mailbox leaves the pool's threads to other sessions between trips.
    Found f;
    std::size_t next = 0;
    auto run = [&](store::Store& s) {
        const std::size_t end = std::min(uids.size(), next + kSearchBatch);
        const std::vector<store::Uid> part(uids.begin() + static_cast<std::ptrdiff_t>(next), uids.begin() + static_cast<std::ptrdiff_t>(end));
        auto infos = s.messages(sel.ref, store::uid_set(part));
        if (!infos) {
            f.error = infos.error();
            return 0;
        }
        std::uint64_t read = 0;
        std::size_t k = 0;
        std::size_t i = next;
        for (; i < end && read < kSearchBytes; ++i) {
            while (k < infos->size() && (*infos)[k].uid < uids[i]) ++k;
            if (k == infos->size() || (*infos)[k].uid != uids[i]) continue;  // expunged meanwhile
            const store::MessageInfo& info = (*infos)[k];
            SearchMessage m;
            m.msn = msns[i];
            m.info = &info;
            m.recent = v.at(msns[i]).recent;
            std::optional<codec::MessageStructure> st;
            if (structure) {
                auto got = s.structure(info.blob);  // listed just now: no lookup by mailbox and UID again
                if (!got) continue;
                st = std::move(*got);
                m.structure = &*st;
            }
            std::string raw;
            if (text) {
                auto reader = s.open_blob(info.blob);
                if (!reader) continue;
                auto got = reader->read(0, reader->size());
                if (!got) continue;
                raw = std::move(*got);
                read += raw.size();
                m.bytes = raw;
            }
            if (!matches(program, m, scope)) continue;
            f.msns.push_back(msns[i]);
            f.uids.push_back(info.uid);
            f.highest = std::max(f.highest, info.modseq);
        }
        next = i;
        return 0;
    };
    while (next < uids.size() && !f.error) co_await store_.run(run);
    if (f.error) {
        if (cmd.search_return.save) saved_.clear();  // RFC 5182 2.1: a failed SEARCH ... SAVE empties "$"
        store_failed(cmd, *f.error);
        co_return;
    }
    const std::vector<std::uint32_t>& result = cmd.uid ? f.uids : f.msns;
    const SearchReturn& ret = cmd.search_return;
    if (ret.save) {
        // RFC 5182 2.1: with MIN or MAX and neither ALL nor COUNT, only those are saved.
        if ((ret.min || ret.max) && !ret.all && !ret.count && !f.uids.empty()) {
            saved_.clear();
            if (ret.min) saved_.push_back(f.uids.front());
            if (ret.max && (!ret.min || f.uids.size() > 1)) saved_.push_back(f.uids.back());
        } else {
            saved_ = f.uids;
        }
    }
    const bool only_save = ret.save && !ret.min && !ret.max && !ret.count && !ret.all;
    if (only_save) {
        // RFC 5182 section 2.1: RETURN (SAVE) alone answers nothing but the tagged OK.
    } else if (ret.given || enabled_.imap4rev2) {
        // RFC 4731: one ESEARCH line; with RETURN () or IMAP4rev2's plain SEARCH, ALL.
        const bool all = ret.all || (!ret.min && !ret.max && !ret.count);
        out_ += "* ESEARCH (TAG ";
        append_string(out_, cmd.tag);
        out_ += ")";
        if (cmd.uid) out_ += " UID";
        if (!result.empty()) {
            if (ret.min) out_ += " MIN " + std::to_string(result.front());
            if (ret.max) out_ += " MAX " + std::to_string(result.back());
            if (all) {
                out_ += " ALL ";
                append_sequence(out_, result);
            }
        }
        if (ret.count) out_ += " COUNT " + std::to_string(result.size());
        if (modseq && !result.empty()) out_ += " MODSEQ " + std::to_string(f.highest);
        out_ += "\r\n";
    } else {
        out_ += "* SEARCH";
        for (auto n : result) out_ += ' ' + std::to_string(n);
        if (modseq && !result.empty()) out_ += " (MODSEQ " + std::to_string(f.highest) + ")";
        out_ += "\r\n";
    }
    tagged(cmd, "OK", "Search completed.");
}

}  // namespace mxlab::imap
