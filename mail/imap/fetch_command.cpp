// The IMAP session's FETCH: \Seen first, then the responses rendered on the store's pool a batch at a time, big literals streamed a chunk at a time (RFC 9051 section 6.4.5, RFC 7162 CHANGEDSINCE and VANISHED).
#include <algorithm>
#include <utility>

#include "mail/imap/fetch.hpp"
#include "mail/imap/format.hpp"
#include "mail/imap/session.hpp"
#include "mail/imap/session_internal.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

namespace {

constexpr std::size_t kBatch = 256;                  // messages rendered per trip to the store's pool
constexpr std::size_t kFlushAt = 64 * 1024;          // output gathered before a write
constexpr std::uint64_t kBatchBytes = 1 << 20;       // rendered text one trip may hold (BODY[] of 256 messages)
constexpr std::uint64_t kStreamChunk = 256 * 1024;   // bytes of a big literal read per trip

struct Rendered {
    store::Uid uid = 0;
    std::vector<FetchPiece> pieces;
    // Kept when a piece is left to stream: its snapshot still has the message
    // if another session expunges or moves it before the literal goes out.
    std::optional<store::MessageReader> reader;
};

// Whether a piece's literal is a literal8 ("~{n}", BINARY): only those may carry NUL.
bool literal8(const std::string& text) {
    const auto brace = text.rfind('{');
    return brace != std::string::npos && brace > 0 && text[brace - 1] == '~';
}

struct Batch {
    std::vector<Rendered> messages;
    bool missing = false;  // a message of the set was expunged meanwhile
    std::optional<store::Error> error;
    std::uint64_t bytes = 0;                // rendered text held
    std::optional<std::size_t> resume_at;   // stopped early: the msns index to go on from
};

}  // namespace

asio::awaitable<void> Session::fetch(const Command& cmd) {
    Selected& sel = *selected_;
    MailboxView& v = sel.view;
    const auto msns = resolve(cmd.set, cmd.uid);
    if (!cmd.uid && !numbers_exist(cmd.set, v.exists())) {
        tagged(cmd, "BAD", "Error in IMAP command FETCH: Invalid messageset.");
        co_return;
    }
    if (cmd.changed_since) enabled_.condstore = true;  // RFC 7162 3.1: the modifier enables CONDSTORE
    const std::vector<FetchItem>& items = cmd.fetch;
    bool modseq_item = false;
    for (const auto& i : items) modseq_item = modseq_item || i.kind == FetchItem::Kind::modseq;
    if (modseq_item) enabled_.condstore = true;

    // RFC 7162 3.2.6: UID FETCH (CHANGEDSINCE m VANISHED) first says which UIDs of the set went since m.
    if (cmd.vanished && !enabled_.qresync) {
        tagged(cmd, "BAD", "VANISHED needs QRESYNC enabled first.");
        co_return;
    }
    if (cmd.vanished && cmd.changed_since) {
        auto changes = co_await store_.changes_since(sel.ref, *cmd.changed_since);
        if (changes) {
            const auto wanted = uid_ranges(cmd.set, v.uidnext() - 1);
            std::vector<std::uint32_t> gone;
            for (store::Uid u : changes->vanished)
                if (in_ranges(wanted, u)) gone.push_back(u);
            if (!gone.empty()) {
                out_ += "* VANISHED (EARLIER) ";
                append_sequence(out_, gone);
                out_ += "\r\n";
            }
        }
    }

    // \Seen before the data (RFC 9051 6.4.5): the FETCH then reports the new FLAGS.
    std::vector<store::Uid> newly_seen;
    if (sets_seen(items) && !sel.read_only) {
        std::vector<store::Uid> unseen;
        for (auto msn : msns) {
            const auto& m = v.at(msn);
            if (!m.expunged && !m.flags.has(store::flag_seen)) unseen.push_back(m.uid);
        }
        if (!unseen.empty()) {
            store::Flags seen;
            seen.system = store::flag_seen;
            auto r = co_await store_.store_flags(sel.ref, store::uid_set(unseen), store::FlagOp::add, seen);
            if (r) {
                v.flags_stored(*r);
                for (const auto& ch : *r)
                    if (ch.changed) newly_seen.push_back(ch.uid);
                std::sort(newly_seen.begin(), newly_seen.end());
            }
        }
    }

    FetchOptions options;
    options.uid = cmd.uid;
    options.modseq = cmd.changed_since.has_value();
    options.imap4rev2 = enabled_.imap4rev2;
    const bool structure = needs_structure(items);
    const bool bytes = needs_bytes(items);
    bool missing = false;
    for (std::size_t start = 0; start < msns.size();) {
        const std::size_t end = std::min(msns.size(), start + kBatch);
        std::vector<std::uint32_t> batch_msns;
        std::vector<store::Uid> batch_uids;
        std::vector<std::size_t> batch_at;  // each one's index in msns
        for (std::size_t i = start; i < end; ++i) {
            const auto& m = v.at(msns[i]);
            if (m.expunged) {
                missing = true;
                continue;
            }
            batch_msns.push_back(msns[i]);
            batch_uids.push_back(m.uid);
            batch_at.push_back(i);
        }
        start = end;
        if (batch_uids.empty()) continue;
        auto render = [&](store::Store& s) {
            Batch b;
            auto infos = s.messages(sel.ref, store::uid_set(batch_uids));
            if (!infos) {
                b.error = infos.error();
                return b;
            }
            std::size_t k = 0;
            for (std::size_t i = 0; i < batch_uids.size(); ++i) {
                while (k < infos->size() && (*infos)[k].uid < batch_uids[i]) ++k;
                if (k == infos->size() || (*infos)[k].uid != batch_uids[i]) {
                    b.missing = true;
                    continue;
                }
                const store::MessageInfo& info = (*infos)[k];
                if (cmd.changed_since && info.modseq <= *cmd.changed_since) continue;
                FetchMessage fm;
                fm.msn = batch_msns[i];
                fm.info = &info;
                fm.recent = v.at(batch_msns[i]).recent && !enabled_.imap4rev2;
                std::optional<codec::MessageStructure> st;
                if (structure) {
                    auto got = s.structure(info.blob);  // listed just now: no lookup by mailbox and UID again
                    if (!got) {
                        if (got.code() == store::Errc::not_found) b.missing = true;
                        else b.error = got.error();
                        continue;
                    }
                    st = std::move(*got);
                    fm.structure = &*st;
                }
                std::optional<store::MessageReader> reader;
                if (bytes) {
                    auto opened = s.open_blob(info.blob);
                    if (!opened) {
                        if (opened.code() == store::Errc::not_found) b.missing = true;
                        else b.error = opened.error();
                        continue;
                    }
                    reader.emplace(std::move(*opened));
                    fm.read = [&reader](std::uint64_t offset, std::uint64_t length) { return reader->read(offset, length); };
                }
                FetchOptions o = options;
                o.flags = std::binary_search(newly_seen.begin(), newly_seen.end(), info.uid);
                auto pieces = render_fetch(items, fm, o);
                if (!pieces) {
                    b.error = pieces.error();
                    continue;
                }
                bool streams = false;
                for (const auto& p : *pieces) {
                    b.bytes += p.text.size();
                    streams = streams || p.length > 0;
                }
                b.messages.push_back(Rendered{info.uid, std::move(*pieces), streams ? std::move(reader) : std::nullopt});
                // A batch holds at most about kBatchBytes of rendered text: the rest waits for the next trip.
                if (b.bytes >= kBatchBytes && i + 1 < batch_uids.size()) {
                    b.resume_at = batch_at[i + 1];
                    break;
                }
            }
            return b;
        };
        Batch b = co_await store_.run(render);
        if (b.resume_at) start = *b.resume_at;
        missing = missing || b.missing;
        if (b.error && b.error->code == store::Errc::invalid) {
            // render_fetch's refusal: BINARY of a part whose encoding it cannot undo (RFC 3516 4.2).
            tagged(cmd, "NO", "[UNKNOWN-CTE] " + b.error->message);
            co_return;
        }
        if (b.error) {
            store_failed(cmd, *b.error);
            co_return;
        }
        for (auto& r : b.messages) {
            ++counts_.fetched;
            for (auto& p : r.pieces) {
                const bool nul_ok = p.length > 0 && literal8(p.text);
                counts_.fetched_bytes += p.text.size();
                if (out_.empty()) out_ = std::move(p.text);
                else out_ += p.text;
                if (p.length == 0) continue;
                if (!co_await writer_(out_)) {
                    hang_up_ = true;
                    co_return;
                }
                // A big literal, a chunk per trip from the render's snapshot: the session never holds the message.
                std::uint64_t sent = 0;
                while (sent < p.length) {
                    const std::uint64_t n = std::min(kStreamChunk, p.length - sent);
                    auto& reader = *r.reader;
                    const std::uint64_t at = p.offset + sent;
                    auto read = [&reader, at, n](store::Store&) { return reader.read(at, n); };
                    auto chunk = co_await store_.run(read);
                    if (!chunk || chunk->empty()) {
                        log_.error("imap.fetch.failed", {{"user", user_}, {"uid", r.uid}, {"error", chunk ? "message shorter than its size" : chunk.error().message}});
                        hang_up_ = true;
                        co_return;
                    }
                    sent += chunk->size();
                    out_ = std::move(*chunk);
                    // NUL may not appear in a literal (RFC 9051 4.3): 0x80 in its place, as for inline text (fetch.hpp).
                    if (!nul_ok) std::replace(out_.begin(), out_.end(), '\0', '\x80');
                    if (!co_await writer_(out_)) {
                        hang_up_ = true;
                        co_return;
                    }
                }
                counts_.fetched_bytes += sent;
            }
            if (out_.size() >= kFlushAt && !co_await writer_(out_)) {
                hang_up_ = true;
                co_return;
            }
        }
    }
    if (missing) tagged(cmd, "NO", "[EXPUNGEISSUED] Some messages were also expunged.");  // RFC 5530
    else tagged(cmd, "OK", "Fetch completed.");
}

}  // namespace mxlab::imap
