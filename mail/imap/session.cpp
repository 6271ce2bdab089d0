// The IMAP session's dispatch and the commands of any state; see session.hpp.
#include "mail/imap/session.hpp"

#include <algorithm>
#include <utility>

#include "core/ascii.hpp"
#include "mail/imap/session_internal.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::imap {

std::string command_name(const Command& cmd) {
    const std::string name(to_string(cmd.name));
    return cmd.uid ? "UID " + name : name;
}

bool numbers_exist(const SequenceSet& set, std::uint32_t exists) {
    if (set.saved) return true;
    for (const auto& r : set.ranges)
        if ((r.first != star && r.first > exists) || (r.last != star && r.last > exists)) return false;
    return true;
}

std::vector<store::UidRange> uid_ranges(const SequenceSet& set, store::Uid top) {
    std::vector<store::UidRange> r;
    for (const auto& s : set.ranges) {
        store::Uid a = s.first == star ? top : s.first, b = s.last == star ? top : s.last;
        if (a > b) std::swap(a, b);
        if (a == 0) a = 1;
        if (b >= a) r.push_back({a, b});
    }
    std::sort(r.begin(), r.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<store::UidRange> merged;
    for (const auto& x : r) {
        if (!merged.empty() && (merged.back().last == store::max_uid || x.first <= merged.back().last + 1))
            merged.back().last = std::max(merged.back().last, x.last);
        else
            merged.push_back(x);
    }
    return merged;
}

bool in_ranges(const std::vector<store::UidRange>& ranges, store::Uid uid) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), uid, [](store::Uid u, const store::UidRange& r) { return u < r.first; });
    return it != ranges.begin() && uid <= std::prev(it)->last;
}

void append_ranges(std::string& out, const std::vector<store::UidRange>& ranges) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(ranges[i].first);
        if (ranges[i].last != ranges[i].first) out += ':' + std::to_string(ranges[i].last);
    }
}

Session::Session(store::AsyncStore& store, Logger& log, std::string user, std::string client, Writer writer,
                 std::uint64_t max_append)
    : store_(store), log_(log), user_(std::move(user)), client_(std::move(client)), writer_(std::move(writer)),
      max_append_(max_append) {}

Session::~Session() = default;

store::Subscription* Session::watch() { return selected_ && selected_->watch ? &*selected_->watch : nullptr; }

void Session::tagged(const Command& cmd, std::string_view status, std::string_view text) {
    out_ += cmd.tag;
    out_ += ' ';
    out_ += status;
    out_ += ' ';
    out_ += text;
    out_ += "\r\n";
}

void Session::store_failed(const Command& cmd, const store::Error& error) {
    switch (error.code) {
    case store::Errc::not_found: tagged(cmd, "NO", "[NONEXISTENT] Mailbox doesn't exist."); break;
    case store::Errc::already_exists: tagged(cmd, "NO", "[ALREADYEXISTS] Mailbox already exists."); break;
    case store::Errc::invalid: tagged(cmd, "NO", "[CANNOT] " + error.message); break;
    case store::Errc::gone: tagged(cmd, "NO", "[NONEXISTENT] The selected mailbox was renamed or deleted."); break;
    default:
        log_.error("imap.store.failed", {{"user", user_}, {"command", command_name(cmd)}, {"error", error.message}});
        tagged(cmd, "NO", "[SERVERBUG] The mail store failed; nothing was changed. Try again later.");
        break;
    }
}

bool Session::check_selected(const Command& cmd) {
    if (selected_) return true;
    tagged(cmd, "BAD", "No mailbox selected.");
    return false;
}

void Session::deselect() {
    selected_.reset();
    saved_.clear();  // RFC 5182 2.1: the saved result goes with the mailbox
}

std::vector<std::uint32_t> Session::resolve(const SequenceSet& set, bool uid) const {
    const MailboxView& v = selected_->view;
    if (!set.saved) return v.resolve(set, uid);
    std::vector<std::uint32_t> msns;
    for (store::Uid u : saved_)
        if (auto msn = v.msn_of(u)) msns.push_back(*msn);
    std::sort(msns.begin(), msns.end());
    return msns;
}

void Session::enable(const Command& cmd) {
    std::string line;
    for (const auto& cap : cmd.strings) {
        bool* flag = nullptr;
        if (iequals(cap, "CONDSTORE")) flag = &enabled_.condstore;
        else if (iequals(cap, "QRESYNC")) flag = &enabled_.qresync;
        else if (iequals(cap, "IMAP4rev2")) flag = &enabled_.imap4rev2;
        else if (iequals(cap, "UTF8=ACCEPT")) flag = &enabled_.utf8;
        if (!flag || *flag) continue;  // unknown or already on: not listed (RFC 5161 section 3.1)
        *flag = true;
        line += ' ';
        line += cap;
    }
    if (enabled_.qresync) enabled_.condstore = true;  // RFC 7162 section 3.2.3
    out_ += "* ENABLED" + line + "\r\n";
    tagged(cmd, "OK", "Enabled.");
}

asio::awaitable<bool> Session::execute(const Command& cmd) {
    // What happened to the selected mailbox goes out before the command's own
    // replies; RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE and SEARCH by
    // sequence number, which would renumber the messages the command names.
    const bool leaves = cmd.name == Name::select || cmd.name == Name::examine || cmd.name == Name::close ||
                        cmd.name == Name::unselect;
    // COPY and MOVE too: an EXPUNGE sent before their set is resolved would make it name other messages
    // (MOVE sends its expunges itself, after).
    // UID SEARCH too: its keys may hold message numbers.
    const bool numbered = cmd.name == Name::search || ((cmd.name == Name::fetch || cmd.name == Name::store ||
                                                         cmd.name == Name::copy || cmd.name == Name::move) &&
                                                        !cmd.uid);
    if (selected_ && !leaves && cmd.name != Name::noop && cmd.name != Name::check && !co_await sync(!numbered)) co_return false;
    switch (cmd.name) {
    case Name::noop:
    case Name::check:
        if (!co_await sync(true)) co_return false;
        tagged(cmd, "OK", cmd.name == Name::noop ? "NOOP completed." : "Check completed.");
        co_return true;
    case Name::enable: enable(cmd); co_return true;
    case Name::select:
    case Name::examine: co_await select(cmd); co_return true;
    case Name::create: co_await create(cmd); break;
    case Name::delete_: co_await remove(cmd); break;
    case Name::rename: co_await rename(cmd); break;
    case Name::subscribe: co_await subscribe(cmd, true); break;
    case Name::unsubscribe: co_await subscribe(cmd, false); break;
    case Name::list: co_await list(cmd); break;
    case Name::lsub: co_await lsub(cmd); break;
    case Name::status: co_await status(cmd); break;
    case Name::append: co_await append(cmd, cmd.message); break;
    case Name::namespace_:
        out_ += "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n";
        tagged(cmd, "OK", "Namespace completed.");
        break;
    case Name::close:
    case Name::unselect:
        if (!check_selected(cmd)) co_return true;
        co_await close(cmd, cmd.name == Name::close);
        co_return true;
    case Name::expunge:
        if (check_selected(cmd)) co_await expunge(cmd);
        break;
    case Name::fetch:
        if (check_selected(cmd)) co_await fetch(cmd);
        break;
    case Name::store:
        if (check_selected(cmd)) co_await store(cmd);
        break;
    case Name::search:
        if (check_selected(cmd)) co_await search(cmd);
        break;
    case Name::copy:
    case Name::move:
        if (check_selected(cmd)) co_await copy(cmd, cmd.name == Name::move);
        break;
    default: tagged(cmd, "BAD", "Command not valid in this state."); co_return true;
    }
    co_return !hang_up_;
}

}  // namespace mxlab::imap
