// The schema-1 store in fixtures/schema1 (written by mxlab before schema 2; see make_schema1_store.cpp) opens, upgrades in place once and serves everything it held (issue 14, item 2); a schema-2 store gets every message's MIME structure (item 4).
#include <mutex>

#include "mail/codec/mime.hpp"
#include "mail/store/db.hpp"
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

namespace fs = std::filesystem;

const std::string wfisk = "wfisk@bigsky.com", jack = "jack@bigsky.com";

class UpgradeTest : public StoreTest {
protected:
    void SetUp() override {
        std::string tmpl = (test_base_dir(false) / "mxlab-upgrade-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        fs::copy(fs::path(MXLAB_SOURCE_DIR) / "tests/unit/store/fixtures/schema1", dir_ / "store");
        open_logged();
    }
    void open_logged() {
        StoreOptions o{dir_ / "store"};
        o.on_event = [this](const StoreEvent& e) {
            std::lock_guard lock(mutex_);
            if (e.kind == StoreEvent::Kind::upgraded) upgrades_.push_back(e.detail);
        };
        store_ = std::make_unique<Store>(o);
    }
    std::vector<std::string> upgrades() {
        std::lock_guard lock(mutex_);
        return upgrades_;
    }
    std::string body(const std::string& user, const std::string& box, Uid uid) {
        auto r = s().read_message(user, box, uid);
        return r ? *r : "(" + r.error().message + ")";
    }

    std::mutex mutex_;
    std::vector<std::string> upgrades_;
};

TEST_F(UpgradeTest, ASchemaOneStoreIsUpgradedOnceAndServesEveryMessage) {
    ASSERT_EQ(upgrades().size(), 2u);
    EXPECT_EQ(upgrades()[0].rfind("schema 1 -> 2: 13 mailboxes, 6 messages", 0), 0u) << upgrades()[0];
    EXPECT_EQ(upgrades()[1].rfind("schema 2 -> 3: 5 messages", 0), 0u) << upgrades()[1];

    // UIDVALIDITY, UIDNEXT and counts as schema 1 wrote them.
    auto inbox = s().mailbox(wfisk, "INBOX");
    MX_ASSERT_OK(inbox);
    EXPECT_EQ(inbox->uidvalidity, 1796684525u);
    EXPECT_EQ(inbox->uidnext, 5u);
    EXPECT_EQ(inbox->messages, 3u);
    EXPECT_EQ(inbox->unseen, 2u);
    EXPECT_EQ(s().mailbox(wfisk, "Old")->uidvalidity, 1796684520u);
    EXPECT_EQ(s().mailbox(wfisk, "Lists/lab")->uidvalidity, 1796684527u);
    EXPECT_EQ(s().mailbox(jack, "INBOX")->uidvalidity, 1796684528u);
    for (const auto& user : {wfisk, jack}) {
        auto boxes = s().mailboxes(user);
        MX_ASSERT_OK(boxes);
        for (const auto& b : *boxes) EXPECT_GE(b.highest_modseq, 1u) << user << " " << b.name;
    }

    // Bodies, flags, dates.
    EXPECT_EQ(body(wfisk, "INBOX", 1), "Subject: one\r\n\r\nbody one\r\n");
    EXPECT_EQ(body(wfisk, "INBOX", 3), "Subject: three\r\n\r\nbody three\r\n");
    EXPECT_EQ(body(wfisk, "INBOX", 4), "Subject: list\r\n\r\nto everyone\r\n");
    EXPECT_EQ(s().message(wfisk, "INBOX", 2).code(), Errc::not_found);
    EXPECT_EQ(s().message(wfisk, "INBOX", 3)->flags, (Flags{flag_seen, {"$Forwarded"}}));
    EXPECT_EQ(body(wfisk, "Old", 1), "Subject: before rename\r\n\r\nold inbox\r\n");
    EXPECT_EQ(body(wfisk, "Lists/lab", 1), "Subject: appended\r\n\r\nappended body\r\n");
    auto appended = s().message(wfisk, "Lists/lab", 1);
    EXPECT_EQ(appended->flags, (Flags{flag_flagged, {"$Label1"}}));
    EXPECT_EQ(appended->internal_date, Time(std::chrono::seconds(1600000000)));
    EXPECT_EQ(appended->zone_minutes, 120);
    EXPECT_EQ(body(jack, "INBOX", 1), "Subject: list\r\n\r\nto everyone\r\n");
    auto structure = s().structure(s().open_mailbox(jack, "INBOX")->ref, 1);
    MX_ASSERT_OK(structure);
    EXPECT_EQ(structure->parts[0].envelope->subject, "list");
    // Each mailbox's keywords (IMAP FLAGS), gathered from its messages.
    EXPECT_EQ(s().mailbox(wfisk, "INBOX")->keywords, std::vector<std::string>{"$Forwarded"});
    EXPECT_EQ(s().mailbox(wfisk, "Lists/lab")->keywords, std::vector<std::string>{"$Label1"});
    EXPECT_TRUE(s().mailbox(wfisk, "Old")->keywords.empty());

    // The queue entry and the shared body's references (two mailboxes and the queue).
    auto queue = s().queue();
    MX_ASSERT_OK(queue);
    ASSERT_EQ(queue->size(), 1u);
    EXPECT_EQ((*queue)[0].sender, "bob@sina.com");
    ASSERT_EQ((*queue)[0].recipients.size(), 1u);
    EXPECT_EQ((*queue)[0].recipients[0].address, "remote@sina.com");
    EXPECT_EQ(*s().blob_refcount((*queue)[0].blob), 3u);
    EXPECT_EQ(s().message(jack, "INBOX", 1)->blob, (*queue)[0].blob);

    // Every message is in the MODSEQ index; expunges before the upgrade are
    // unknown, so asking from before it is "too old", from it on is not.
    auto opened = s().open_mailbox(wfisk, "INBOX");
    MX_ASSERT_OK(opened);
    auto all = s().changes_since(opened->ref, 0);
    MX_ASSERT_OK(all);
    ASSERT_EQ(all->changed.size(), 3u);
    EXPECT_EQ(all->changed[1].uid, 3u);
    EXPECT_EQ(all->changed[1].flags, (Flags{flag_seen, {"$Forwarded"}}));
    EXPECT_TRUE(all->too_old);
    const ModSeq at_upgrade = opened->info.highest_modseq;
    EXPECT_FALSE(s().changes_since(opened->ref, at_upgrade)->too_old);

    // It takes mail as a schema-2 store, and a restart does not upgrade again.
    MX_ASSERT_OK(s().deliver(to_users({wfisk}), make_message("after")));
    MX_ASSERT_OK(s().remove_messages(opened->ref, one_uid(1)));
    auto c = s().changes_since(opened->ref, at_upgrade);
    EXPECT_EQ(c->changed.size(), 1u);
    EXPECT_EQ(c->changed[0].uid, 5u);
    EXPECT_EQ(c->vanished, std::vector<Uid>{1});
    store_.reset();
    open_logged();
    EXPECT_EQ(upgrades().size(), 2u);
    EXPECT_EQ(body(wfisk, "INBOX", 3), "Subject: three\r\n\r\nbody three\r\n");
    EXPECT_EQ(s().changes_since(opened->ref, at_upgrade)->vanished, std::vector<Uid>{1});
}

TEST_F(UpgradeTest, AStoreFromANewerMxlabIsRefusedSayingSo) {
    store_.reset();
    {
        Db db(dir_ / "store", 1 << 20);
        rocksdb::WriteOptions wo;
        ASSERT_TRUE(db.get()->Put(wo, db.cf(Cf::default_cf), std::string(schema_key), "4").ok());
    }
    try {
        open_logged();
        FAIL() << "a schema-4 store opened";
    } catch (const StoreOpenError& e) {
        EXPECT_NE(std::string(e.what()).find("written by a newer mxlab (layout version 4; this mxlab reads up to 3)"), std::string::npos)
            << e.what();
    }
}

// A schema-2 store is this mxlab's store without the structures family:
// made here by dropping it and writing "2", then opened again.
TEST_F(UpgradeTest, ASchemaTwoStoreGetsEveryMessagesStructureOnce) {
    const std::string small = "Subject: small\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n\r\nplain\r\n--x--\r\n";
    std::string big = "Subject: big\r\n\r\n";
    while (big.size() < 700 * 1024) big += "a line of a big message\r\n";
    MX_ASSERT_OK(s().deliver(to_users({jack}), small));
    MX_ASSERT_OK(s().deliver(to_users({jack}), big));
    store_.reset();
    {
        Db db(dir_ / "store", 1 << 20);
        rocksdb::WriteOptions wo;
        ASSERT_TRUE(db.get()->DropColumnFamily(db.cf(Cf::structures)).ok());
        ASSERT_TRUE(db.get()->Put(wo, db.cf(Cf::default_cf), std::string(schema_key), "2").ok());
    }
    upgrades_.clear();
    open_logged();
    ASSERT_EQ(upgrades().size(), 1u);
    // 5 from the schema-1 fixture, and these two.
    EXPECT_EQ(upgrades()[0].rfind("schema 2 -> 3: 7 messages", 0), 0u) << upgrades()[0];
    auto inbox = s().open_mailbox(jack, "INBOX");
    MX_ASSERT_OK(inbox);
    EXPECT_EQ(*s().structure(inbox->ref, 2), codec::parse_mime(small));
    EXPECT_EQ(*s().structure(inbox->ref, 3), codec::parse_mime(big));
    store_.reset();
    open_logged();
    EXPECT_EQ(upgrades().size(), 1u);
}

}  // namespace
}  // namespace mxlab::store::test
