// The POP3 server over a real store (RocksDB in a temporary directory) and a real socket: a session whose INBOX is renamed away meanwhile deletes nothing at QUIT (issue 14, item 1).
#include <gtest/gtest.h>

#include "core/asio.hpp"
#include "mail/pop3/server.hpp"
#include "tests/unit/server_over_store.hpp"

// GCC 12's false positive on Asio's coroutine frames (see dns/resolver.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::pop3 {
namespace {

using store::test::make_message;
using store::test::to_users;
using ServerStoreTest = test::ServerOverStore<Server, Port::pop3>;

// The case: the session holds INBOX; INBOX is renamed through the
// store and a new INBOX gets mail with the same UIDs; DELE 1 + QUIT must
// remove nothing from the new INBOX, and say so.
TEST_F(ServerStoreTest, DeleAndQuitAfterInboxWasRenamedAwayDeletesNothing) {
    const std::string bob = "bob@sina.com";
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s().deliver(to_users({bob}), make_message("old " + std::to_string(i))).ok());
    auto c = connect();
    EXPECT_EQ(c->line().substr(0, 3), "+OK");
    EXPECT_EQ(c->send("USER bob").substr(0, 3), "+OK");
    EXPECT_EQ(c->send("PASS bob123").substr(0, 3), "+OK");
    EXPECT_EQ(c->send("DELE 1"), "+OK message 1 deleted");

    ASSERT_TRUE(s().rename_mailbox(bob, "INBOX", "Archive").ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s().deliver(to_users({bob}), make_message("new " + std::to_string(i))).ok());
    ASSERT_EQ(s().messages(bob, "INBOX")->front().uid, 1u);  // the same UIDs again

    EXPECT_EQ(c->send("QUIT"), "-ERR [SYS/TEMP] The mailbox was renamed or deleted while you were logged in; nothing was deleted.");
    EXPECT_EQ(s().mailbox(bob, "INBOX")->messages, 3u);
    EXPECT_EQ(s().mailbox(bob, "Archive")->messages, 3u);
    auto first = s().read_message(bob, "INBOX", 1);
    ASSERT_TRUE(first.ok());
    EXPECT_NE(first->find("new 0"), std::string::npos);

    // A new session sees the new INBOX and can delete from it.
    auto again = connect();
    again->line();
    again->send("USER bob");
    EXPECT_EQ(again->send("PASS bob123").substr(0, 3), "+OK");
    EXPECT_EQ(again->send("DELE 1"), "+OK message 1 deleted");
    EXPECT_EQ(again->send("QUIT").substr(0, 3), "+OK");
    EXPECT_EQ(s().mailbox(bob, "INBOX")->messages, 2u);
}

}  // namespace
}  // namespace mxlab::pop3
