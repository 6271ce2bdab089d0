// One IMAP session after the login: the commands of the authenticated and selected states run against the store (RFC 9051 sections 6.3 and 6.4, RFC 3501, and the extensions DESIGN.md lists).
//
// Not a pure state machine like POP3's: nearly every IMAP command is a store
// read or write, so each runs as a coroutine over AsyncStore; what is pure
// (the parser, the selected mailbox's view, FETCH and SEARCH rendering) lives
// in its own files and is tested alone. The server (server.hpp) frames the
// commands, does the login, STARTTLS and IDLE, and calls execute().
//
// Output goes to output(); the server writes it. Big FETCH literals are not
// put there but streamed (stream()), so a session holds at most a chunk of a
// message whatever it fetches.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "core/log.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/view.hpp"
#include "mail/store/async_store.hpp"
#include "mail/store/subscription.hpp"

namespace mxlab::imap {

// Two updates of one mailbox as one: the later state, and the \Recent UIDs of both.
store::FeedUpdate merge_updates(std::optional<store::FeedUpdate> older, store::FeedUpdate newer);

struct Enabled {
    bool condstore = false;
    bool qresync = false;
    bool imap4rev2 = false;
    bool utf8 = false;
};

class Session {
public:
    // Writes `out` to the client now (a FETCH flushing its output between
    // messages or streaming a literal); false: the connection is gone.
    using Writer = std::function<asio::awaitable<bool>(std::string& out)>;

    Session(store::AsyncStore& store, Logger& log, std::string user, std::string client, Writer writer,
            std::uint64_t max_append);
    ~Session();

    const std::string& user() const { return user_; }
    std::string& output() { return out_; }
    Enabled& enabled() { return enabled_; }
    bool selected() const { return selected_ != nullptr; }

    // Runs one command of the authenticated or selected state, appending its
    // untagged and tagged responses to output(). false: the session must end
    // (the selected mailbox was deleted: "* BYE" was written).
    asio::awaitable<bool> execute(const Command& cmd);

    // Between commands (NOOP, IDLE's news, before a tagged reply): takes what
    // the store's change feed says happened to the selected mailbox and
    // writes what the client may be told. `update` is the feed's news when
    // the server already has it (IDLE), else the session polls the feed.
    // false: the mailbox is gone ("* BYE" written).
    asio::awaitable<bool> sync(bool expunges_allowed, std::optional<store::FeedUpdate> update = std::nullopt);

    // News the server took from the feed itself (IDLE's wake-up): the next
    // sync() applies it. Ignored if it is about another mailbox than the
    // one selected now.
    void news(store::FeedUpdate update);

    // The selected mailbox's watch, for IDLE (nullptr when none is selected).
    store::Subscription* watch();

    // APPEND with the message in hand (a small literal; line ends made CRLF here).
    asio::awaitable<void> append(const Command& cmd, std::string_view message);
    // APPEND of a big literal the server staged into the store as it came
    // (line ends made CRLF already), `size` bytes.
    asio::awaitable<void> append(const Command& cmd, store::StagedBlob staged, std::uint64_t size);

    // Counters for the logout line.
    struct Counts {
        std::uint64_t fetched = 0, fetched_bytes = 0, stored = 0, expunged = 0, appended = 0;
    };
    const Counts& counts() const { return counts_; }

private:
    struct Selected;
    asio::awaitable<void> select(const Command& cmd);
    asio::awaitable<void> create(const Command& cmd);
    asio::awaitable<void> remove(const Command& cmd);
    asio::awaitable<void> rename(const Command& cmd);
    asio::awaitable<void> subscribe(const Command& cmd, bool on);
    asio::awaitable<void> list(const Command& cmd);
    asio::awaitable<void> lsub(const Command& cmd);
    asio::awaitable<void> status(const Command& cmd);
    asio::awaitable<void> fetch(const Command& cmd);
    asio::awaitable<void> store(const Command& cmd);
    asio::awaitable<void> search(const Command& cmd);
    asio::awaitable<void> copy(const Command& cmd, bool move);
    asio::awaitable<void> expunge(const Command& cmd);
    asio::awaitable<void> close(const Command& cmd, bool expunge);
    void enable(const Command& cmd);
    // APPEND's checks before the write: the target's name, or nothing after writing the refusal.
    std::optional<std::string> append_target(const Command& cmd, std::uint64_t size);
    // After the write: the tagged OK's text with APPENDUID, or nothing after writing the NO.
    std::optional<std::string> append_code(const Command& cmd, const store::Result<store::AppendResult>& r);

    // The mailbox name a command gave, decoded and normalized; nullopt after
    // writing "tag NO/BAD ..." for a name that cannot be one.
    std::optional<std::string> mailbox_name(const Command& cmd, const std::string& raw);
    std::string client_name(const std::string& stored) const;  // mUTF-7 unless UTF-8 is on
    void tagged(const Command& cmd, std::string_view status, std::string_view text);
    void store_failed(const Command& cmd, const store::Error& error);
    bool check_selected(const Command& cmd);
    // The selected mailbox's message numbers a set names, "$" (the saved SEARCH result, RFC 5182) included.
    std::vector<std::uint32_t> resolve(const SequenceSet& set, bool uid) const;  // writes "tag BAD No mailbox selected." when not
    void deselect();

    store::AsyncStore& store_;
    Logger& log_;
    std::string user_;
    std::string client_;
    Writer writer_;
    std::uint64_t max_append_;
    std::string out_;
    Enabled enabled_;
    std::unique_ptr<Selected> selected_;
    std::vector<store::Uid> saved_;  // SEARCH RETURN (SAVE), RFC 5182
    Counts counts_;
    bool hang_up_ = false;                   // the output broke off mid-response: the connection must end
    std::optional<store::FeedUpdate> news_;  // see news()
};

}  // namespace mxlab::imap
