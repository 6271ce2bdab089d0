// Delivery: one stored body shared by reference count, big messages staged and streamed, and what survives a restart.
#include <cstring>
#include <random>

#include "mail/store/keys.hpp"
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

TEST_F(StoreTest, ThreeRecipientsShareOneBodyUntilTheLastExpunge) {
    auto d = s().deliver(to_users({"bob@sina.com", "jack@sina.com", "DAmeson@BigSky.com"}), make_message("list"));
    MX_ASSERT_OK(d);
    ASSERT_EQ(d->local.size(), 3u);
    EXPECT_EQ(d->local[2].user, "dameson@bigsky.com");
    EXPECT_FALSE(d->queued);
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 3u);
    for (const auto& l : d->local) {
        auto m = s().message(l.user, "INBOX", l.uid);
        MX_ASSERT_OK(m);
        EXPECT_EQ(m->blob, d->blob);  // stored once
        EXPECT_EQ(s().mailbox(l.user, "INBOX")->uidvalidity, l.uidvalidity);
    }

    MX_ASSERT_OK(s().remove_messages("bob@sina.com", "INBOX", one_uid(d->local[0].uid)));
    MX_ASSERT_OK(s().store_flags("jack@sina.com", "INBOX", one_uid(d->local[1].uid), FlagOp::add, Flags{flag_deleted, {}}));
    MX_ASSERT_OK(s().expunge("jack@sina.com", "INBOX"));
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 1u);
    auto still = s().read_message("dameson@bigsky.com", "INBOX", d->local[2].uid);
    MX_ASSERT_OK(still);
    EXPECT_EQ(*still, make_message("list"));

    // Hold a reader across the last expunge: its snapshot keeps the bytes readable.
    auto reader = s().open_message("dameson@bigsky.com", "INBOX", d->local[2].uid);
    MX_ASSERT_OK(reader);
    MX_ASSERT_OK(s().remove_messages("dameson@bigsky.com", "INBOX", all_uids()));
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 0u);
    EXPECT_EQ(s().open_blob(d->blob).code(), Errc::not_found);
    EXPECT_EQ(*reader->read(0, reader->size()), make_message("list"));
}

TEST_F(StoreTest, AUserNamedTwiceGetsOneCopy) {
    auto d = s().deliver(to_users({"bob@sina.com", "Bob@SINA.com", "jack@sina.com"}), make_message("dup"));
    MX_ASSERT_OK(d);
    ASSERT_EQ(d->local.size(), 3u);
    EXPECT_EQ(d->local[0].uid, d->local[1].uid);
    EXPECT_EQ(s().mailbox("bob@sina.com", "INBOX")->messages, 1u);
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 2u);
}

TEST_F(StoreTest, UidlIsStableAndSharedWithImap) {
    auto d = s().deliver(to_users({"bob@sina.com"}), make_message("u"));
    MX_ASSERT_OK(d);
    auto box = s().mailbox("bob@sina.com", "INBOX");
    std::string id = uidl(box->uidvalidity, d->local[0].uid);
    reopen();
    auto again = s().mailbox("bob@sina.com", "INBOX");
    EXPECT_EQ(uidl(again->uidvalidity, s().messages("bob@sina.com", "INBOX")->at(0).uid), id);
}

TEST_F(StoreTest, ADeliveryNeedsARecipient) {
    EXPECT_EQ(s().deliver(Envelope{}, "x").code(), Errc::invalid);
    EXPECT_EQ(s().deliver(to_users({""}), "x").code(), Errc::invalid);
    EXPECT_EQ(s().stats().syncs, 0u);
}

TEST_F(StoreTest, AnEmptyMessageRoundTrips) {
    auto d = s().deliver(to_users({"bob@sina.com"}), "");
    MX_ASSERT_OK(d);
    auto raw = s().read_message("bob@sina.com", "INBOX", d->local[0].uid);
    MX_ASSERT_OK(raw);
    EXPECT_EQ(*raw, "");
}

TEST_F(StoreTest, ATwentyMegabyteMessageStreamsBackByteExact) {
    std::string raw(20u << 20, '\0');
    std::mt19937_64 rng(42);
    for (std::size_t i = 0; i + 8 <= raw.size(); i += 8) {
        std::uint64_t v = rng();
        std::memcpy(raw.data() + i, &v, 8);
    }
    auto d = s().deliver(to_users({"bob@sina.com", "jack@sina.com"}), raw);  // staged: bigger than one chunk
    MX_ASSERT_OK(d);
    reopen();  // and from disk, not from memory

    auto r = s().open_message("jack@sina.com", "INBOX", d->local[1].uid);
    MX_ASSERT_OK(r);
    ASSERT_EQ(r->size(), raw.size());
    std::size_t at = 0, pieces = 0, largest = 0;
    bool same = true;
    for (;;) {
        auto piece = r->next();
        MX_ASSERT_OK(piece);
        if (piece->empty()) break;
        same = same && raw.compare(at, piece->size(), *piece) == 0;
        at += piece->size();
        largest = std::max(largest, piece->size());
        ++pieces;
    }
    EXPECT_TRUE(same);
    EXPECT_EQ(at, raw.size());
    EXPECT_LE(largest, chunk_size);  // never more than one chunk held
    EXPECT_EQ(pieces, (raw.size() + chunk_size - 1) / chunk_size);
    EXPECT_EQ(s().message("bob@sina.com", "INBOX", d->local[0].uid)->size, raw.size());
}

TEST_F(StoreTest, AMessageWrittenInPiecesIsDeliveredOnce) {
    std::string raw = make_message("pieces", 700 * 1024);
    BlobWriter w = s().stage_message();
    for (std::size_t i = 0; i < raw.size(); i += 1000) MX_ASSERT_OK(w.append(std::string_view(raw).substr(i, 1000)));
    auto staged = w.finish();
    MX_ASSERT_OK(staged);
    EXPECT_EQ(staged->size(), raw.size());
    auto d = s().deliver(to_users({"bob@sina.com"}), std::move(*staged));
    MX_ASSERT_OK(d);
    EXPECT_EQ(*s().read_message("bob@sina.com", "INBOX", d->local[0].uid), raw);
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 1u);

    // A big APPEND takes the same path.
    auto a = s().append("bob@sina.com", "Sent", raw, Flags{flag_seen, {}});
    MX_ASSERT_OK(a);
    EXPECT_EQ(*s().read_message("bob@sina.com", "Sent", a->uid), raw);
}

TEST_F(StoreTest, AStagedMessageThatFailsToCommitIsNotKept) {
    auto staged = s().stage_message(make_message("orphan", 600 * 1024));
    MX_ASSERT_OK(staged);
    BlobId id = staged->id();
    EXPECT_EQ(s().deliver(Envelope{}, std::move(*staged)).code(), Errc::invalid);
    EXPECT_EQ(s().blob_refcount(id).value(), 0u);
    EXPECT_EQ(s().open_blob(id).code(), Errc::not_found);
}

TEST_F(StoreTest, ReopenKeepsEverything) {
    auto d = s().deliver(to_users({"bob@sina.com", "jack@sina.com"}), make_message("keep"));
    MX_ASSERT_OK(d);
    MX_ASSERT_OK(s().store_flags("bob@sina.com", "INBOX", all_uids(), FlagOp::add, Flags{flag_seen, {"lab"}}));
    MX_ASSERT_OK(s().create_mailbox("bob@sina.com", "Lab/Week1"));
    MX_ASSERT_OK(s().subscribe("bob@sina.com", "Lab/Week1"));
    MX_ASSERT_OK(s().copy("bob@sina.com", "INBOX", all_uids(), "Lab/Week1"));
    Envelope remote = to_users({});
    remote.remote_recipients = {"wfisk@bigsky.com"};
    auto q = s().deliver(remote, make_message("out"));
    MX_ASSERT_OK(q);
    auto boxes = s().mailboxes("bob@sina.com");

    reopen();
    auto after = s().mailboxes("bob@sina.com");
    MX_ASSERT_OK(after);
    ASSERT_EQ(after->size(), boxes->size());
    for (std::size_t i = 0; i < after->size(); ++i) {
        EXPECT_EQ((*after)[i].name, (*boxes)[i].name);
        EXPECT_EQ((*after)[i].uidnext, (*boxes)[i].uidnext);
        EXPECT_EQ((*after)[i].highest_modseq, (*boxes)[i].highest_modseq);
        EXPECT_EQ((*after)[i].messages, (*boxes)[i].messages);
        EXPECT_EQ((*after)[i].subscribed, (*boxes)[i].subscribed);
    }
    EXPECT_EQ(s().message("bob@sina.com", "INBOX", 1)->flags, (Flags{flag_seen, {"lab"}}));
    EXPECT_EQ(*s().read_message("bob@sina.com", "Lab/Week1", 1), make_message("keep"));
    EXPECT_EQ(s().blob_refcount(d->blob).value(), 3u);
    EXPECT_EQ(s().queue_entry(*q->queued)->recipients.at(0).address, "wfisk@bigsky.com");

    // New ids after the restart do not collide with the old ones.
    auto d2 = s().deliver(to_users({"jack@sina.com"}), make_message("after"));
    MX_ASSERT_OK(d2);
    EXPECT_GT(d2->blob, q->blob);
    EXPECT_EQ(d2->local[0].uid, 2u);
    EXPECT_EQ(*s().read_message("jack@sina.com", "INBOX", 1), make_message("keep"));
    EXPECT_EQ(*s().read_message("jack@sina.com", "INBOX", 2), make_message("after"));
}

TEST_F(StoreTest, AnOpenStoreLocksItsDirectory) {
    try {
        Store second(StoreOptions{dir_ / "store"});
        FAIL() << "a second open of the same directory must fail";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("another mxlab process"), std::string::npos) << e.what();
    }
}

TEST_F(StoreTest, ClosedStoreAnswersClosed) {
    s().close();
    EXPECT_EQ(s().deliver(to_users({"bob@sina.com"}), "x").code(), Errc::closed);
    EXPECT_EQ(s().mailboxes("bob@sina.com").code(), Errc::closed);
}

}  // namespace
}  // namespace mxlab::store::test
