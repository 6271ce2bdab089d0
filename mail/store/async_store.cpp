// AsyncStore's named calls: reads on the pool, writes through the Store's callback forms (see async_store.hpp).
#include "mail/store/async_store.hpp"

#include "mail/store/keys.hpp"

namespace mxlab::store {

AsyncStore::AsyncStore(Store& store, std::size_t threads) : store_(store), pool_(threads) {}

AsyncStore::~AsyncStore() { pool_.join(); }

asio::awaitable<Status> AsyncStore::ensure_user(std::string user) {
    // Most logins find everything there: a read on the pool, no write.
    co_return co_await run([&](Store& s) { return s.ensure_user(user); });
}

asio::awaitable<Result<std::vector<MailboxInfo>>> AsyncStore::mailboxes(std::string user) {
    co_return co_await run([&](Store& s) { return s.mailboxes(user); });
}

asio::awaitable<Result<MailboxInfo>> AsyncStore::mailbox(std::string user, std::string name) {
    co_return co_await run([&](Store& s) { return s.mailbox(user, name); });
}

asio::awaitable<Status> AsyncStore::create_mailbox(std::string user, std::string name) {
    co_return co_await write<void>([&](Callback<void> done) { store_.create_mailbox(user, name, std::move(done)); });
}

asio::awaitable<Status> AsyncStore::rename_mailbox(std::string user, std::string from, std::string to) {
    co_return co_await write<void>([&](Callback<void> done) { store_.rename_mailbox(user, from, to, std::move(done)); });
}

asio::awaitable<Status> AsyncStore::delete_mailbox(std::string user, std::string name) {
    co_return co_await write<void>([&](Callback<void> done) { store_.delete_mailbox(user, name, std::move(done)); });
}

asio::awaitable<Status> AsyncStore::subscribe(std::string user, std::string name) {
    co_return co_await write<void>([&](Callback<void> done) { store_.subscribe(user, name, std::move(done)); });
}

asio::awaitable<Status> AsyncStore::unsubscribe(std::string user, std::string name) {
    co_return co_await write<void>([&](Callback<void> done) { store_.unsubscribe(user, name, std::move(done)); });
}

asio::awaitable<Result<std::vector<std::string>>> AsyncStore::subscriptions(std::string user) {
    co_return co_await run([&](Store& s) { return s.subscriptions(user); });
}

asio::awaitable<Result<std::vector<MessageInfo>>> AsyncStore::messages(std::string user, std::string mailbox, UidSet uids) {
    co_return co_await run([&](Store& s) { return s.messages(user, mailbox, uids); });
}

asio::awaitable<Result<std::string>> AsyncStore::read_message(std::string user, std::string mailbox, Uid uid) {
    co_return co_await run([&](Store& s) { return s.read_message(user, mailbox, uid); });
}

asio::awaitable<Result<MessageReader>> AsyncStore::open_message(std::string user, std::string mailbox, Uid uid) {
    co_return co_await run([&](Store& s) { return s.open_message(user, mailbox, uid); });
}

asio::awaitable<Result<std::string_view>> AsyncStore::next(MessageReader& reader) {
    co_return co_await run([&](Store&) { return reader.next(); });
}

asio::awaitable<Result<AppendResult>> AsyncStore::append(std::string user, std::string mailbox, std::string_view raw, Flags flags,
                                                         Time date, std::int16_t zone) {
    if (raw.size() > chunk_size) {
        auto staged = co_await stage_message(raw);
        if (!staged) co_return staged.error();
        co_return co_await append(std::move(user), std::move(mailbox), std::move(*staged), std::move(flags), date, zone);
    }
    co_return co_await write<AppendResult>(
        [&](Callback<AppendResult> done) { store_.append(user, mailbox, raw, flags, date, zone, std::move(done)); });
}

asio::awaitable<Result<AppendResult>> AsyncStore::append(std::string user, std::string mailbox, StagedBlob staged, Flags flags,
                                                         Time date, std::int16_t zone) {
    co_return co_await write<AppendResult>(
        [&](Callback<AppendResult> done) { store_.append(user, mailbox, std::move(staged), flags, date, zone, std::move(done)); });
}

// The name forms build their MailboxRef in a statement of its own: as a
// temporary inside the co_await, g++ 12 destroys it twice (see the header).
asio::awaitable<Result<std::vector<FlagChange>>> AsyncStore::store_flags(std::string user, std::string mailbox, UidSet uids, FlagOp op,
                                                                         Flags flags) {
    MailboxRef ref{std::move(user), std::move(mailbox)};
    co_return co_await store_flags(std::move(ref), std::move(uids), op, std::move(flags));
}

asio::awaitable<Result<CopyResult>> AsyncStore::copy(std::string user, std::string from, UidSet uids, std::string to) {
    MailboxRef ref{std::move(user), std::move(from)};
    co_return co_await copy(std::move(ref), std::move(uids), std::move(to));
}

asio::awaitable<Result<CopyResult>> AsyncStore::move(std::string user, std::string from, UidSet uids, std::string to) {
    MailboxRef ref{std::move(user), std::move(from)};
    co_return co_await move(std::move(ref), std::move(uids), std::move(to));
}

asio::awaitable<Result<std::vector<Uid>>> AsyncStore::expunge(std::string user, std::string mailbox, UidSet uids) {
    MailboxRef ref{std::move(user), std::move(mailbox)};
    co_return co_await expunge(std::move(ref), std::move(uids));
}

asio::awaitable<Result<std::vector<Uid>>> AsyncStore::remove_messages(std::string user, std::string mailbox, UidSet uids) {
    MailboxRef ref{std::move(user), std::move(mailbox)};
    co_return co_await remove_messages(std::move(ref), std::move(uids));
}

asio::awaitable<Result<OpenedMailbox>> AsyncStore::open_mailbox(std::string user, std::string name) {
    co_return co_await run([&](Store& s) { return s.open_mailbox(user, name); });
}

asio::awaitable<Result<std::vector<MessageInfo>>> AsyncStore::messages(MailboxRef mailbox, UidSet uids) {
    co_return co_await run([&](Store& s) { return s.messages(mailbox, uids); });
}

asio::awaitable<Result<MessageReader>> AsyncStore::open_message(MailboxRef mailbox, Uid uid) {
    co_return co_await run([&](Store& s) { return s.open_message(mailbox, uid); });
}

asio::awaitable<Result<codec::MessageStructure>> AsyncStore::structure(MailboxRef mailbox, Uid uid) {
    co_return co_await run([&](Store& s) { return s.structure(mailbox, uid); });
}

asio::awaitable<Result<std::vector<FlagChange>>> AsyncStore::store_flags(MailboxRef mailbox, UidSet uids, FlagOp op, Flags flags) {
    co_return co_await write<std::vector<FlagChange>>(
        [&](Callback<std::vector<FlagChange>> done) { store_.store_flags(mailbox, uids, op, flags, std::move(done)); });
}

asio::awaitable<Result<FlagStoreResult>> AsyncStore::store_flags(MailboxRef mailbox, UidSet uids, FlagOp op, Flags flags,
                                                                  ModSeq unchanged_since) {
    co_return co_await write<FlagStoreResult>([&](Callback<FlagStoreResult> done) {
        store_.store_flags(mailbox, uids, op, flags, unchanged_since, std::move(done));
    });
}

asio::awaitable<Result<Changes>> AsyncStore::changes_since(MailboxRef mailbox, ModSeq since) {
    co_return co_await run([&](Store& s) { return s.changes_since(mailbox, since); });
}

asio::awaitable<Result<CopyResult>> AsyncStore::copy(MailboxRef from, UidSet uids, std::string to) {
    co_return co_await write<CopyResult>([&](Callback<CopyResult> done) { store_.copy(from, uids, to, std::move(done)); });
}

asio::awaitable<Result<CopyResult>> AsyncStore::move(MailboxRef from, UidSet uids, std::string to) {
    co_return co_await write<CopyResult>([&](Callback<CopyResult> done) { store_.move(from, uids, to, std::move(done)); });
}

asio::awaitable<Result<std::vector<Uid>>> AsyncStore::expunge(MailboxRef mailbox, UidSet uids) {
    co_return co_await write<std::vector<Uid>>([&](Callback<std::vector<Uid>> done) { store_.expunge(mailbox, uids, std::move(done)); });
}

asio::awaitable<Result<std::vector<Uid>>> AsyncStore::remove_messages(MailboxRef mailbox, UidSet uids) {
    co_return co_await write<std::vector<Uid>>(
        [&](Callback<std::vector<Uid>> done) { store_.remove_messages(mailbox, uids, std::move(done)); });
}

asio::awaitable<Result<StagedBlob>> AsyncStore::stage_message(std::string_view raw) {
    co_return co_await run([&](Store& s) { return s.stage_message(raw); });
}

asio::awaitable<Result<DeliverResult>> AsyncStore::deliver(Envelope env, std::string_view raw) {
    if (raw.size() > chunk_size) {
        auto staged = co_await stage_message(raw);
        if (!staged) co_return staged.error();
        co_return co_await deliver(std::move(env), std::move(*staged));
    }
    co_return co_await write<DeliverResult>([&](Callback<DeliverResult> done) { store_.deliver(env, raw, std::move(done)); });
}

asio::awaitable<Result<DeliverResult>> AsyncStore::deliver(Envelope env, StagedBlob staged) {
    co_return co_await write<DeliverResult>(
        [&](Callback<DeliverResult> done) { store_.deliver(env, std::move(staged), std::move(done)); });
}

asio::awaitable<Result<std::vector<QueueEntry>>> AsyncStore::queue() {
    co_return co_await run([](Store& s) { return s.queue(); });
}

asio::awaitable<Result<QueueEntry>> AsyncStore::queue_entry(QueueId id) {
    co_return co_await run([&](Store& s) { return s.queue_entry(id); });
}

asio::awaitable<Result<std::vector<QueueEntry>>> AsyncStore::queue_due(Time at, std::size_t limit) {
    co_return co_await run([&](Store& s) { return s.queue_due(at, limit); });
}

asio::awaitable<Result<QueueEntry>> AsyncStore::update_queue(QueueId id, QueueUpdate update) {
    co_return co_await write<QueueEntry>([&](Callback<QueueEntry> done) { store_.update_queue(id, update, std::move(done)); });
}

asio::awaitable<Status> AsyncStore::remove_queue(QueueId id) {
    co_return co_await write<void>([&](Callback<void> done) { store_.remove_queue(id, std::move(done)); });
}

}  // namespace mxlab::store
