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
    auto run = [&](store::Store& s) {
        Found f;
        if (uids.empty()) return f;
        auto infos = s.messages(sel.ref, to_uid_set(uids));
        if (!infos) {
            f.error = infos.error();
            return f;
        }
        std::size_t k = 0;
        for (std::size_t i = 0; i < uids.size(); ++i) {
            while (k < infos->size() && (*infos)[k].uid < uids[i]) ++k;
            if (k == infos->size() || (*infos)[k].uid != uids[i]) continue;  // expunged meanwhile
            const store::MessageInfo& info = (*infos)[k];
            SearchMessage m;
            m.msn = msns[i];
            m.info = &info;
            m.recent = v.at(msns[i]).recent;
            std::optional<codec::MessageStructure> st;
            if (structure) {
                auto got = s.structure(sel.ref, info.uid);
                if (!got) continue;
                st = std::move(*got);
                m.structure = &*st;
            }
            std::string raw;
            if (text) {
                auto got = s.read_message(sel.ref, info.uid);
                if (!got) continue;
                raw = std::move(*got);
                m.bytes = raw;
            }
            if (!matches(program, m, scope)) continue;
            f.msns.push_back(msns[i]);
            f.uids.push_back(info.uid);
            f.highest = std::max(f.highest, info.modseq);
        }
        return f;
    };
    Found f = co_await store_.run(run);
    if (f.error) {
        store_failed(cmd, *f.error);
        co_return;
    }
    const std::vector<std::uint32_t>& result = cmd.uid ? f.uids : f.msns;
    const SearchReturn& ret = cmd.search_return;
    if (ret.save) saved_ = f.uids;
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
