// The POP3 server over a real store (RocksDB in a temporary directory) and a real socket: a session whose INBOX is renamed away meanwhile deletes nothing at QUIT (issue 14, item 1).
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "core/asio.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/pop3/server.hpp"
#include "mail/store/async_store.hpp"
#include "tests/unit/lab_config.hpp"
#include "tests/unit/store/store_fixture.hpp"

// GCC 12's false positive on Asio's coroutine frames (see dns/resolver.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::pop3 {
namespace {

using asio::ip::tcp;
using store::test::make_message;
using store::test::to_users;

// A free loopback port, as the integration harness finds one.
std::uint16_t free_port() {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

class ServerStoreTest : public store::test::StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        std::string errors;
        auto cfg = test::load_lab({}, errors);
        ASSERT_TRUE(cfg) << errors;
        auto snap = std::make_shared<mail::Snapshot>();
        snap->config = cfg;
        snap->directory = std::make_shared<const auth::Directory>(*cfg);
        async_ = std::make_unique<store::AsyncStore>(s());
        log_file_ = std::tmpfile();
        log_ = std::make_unique<Logger>(log_file_);
        server_ = std::make_unique<Server>(io_, *async_, throttle_, passwords_, *log_);
        server_->set_snapshot(snap);
        port_ = free_port();
        server_->bind({*config::IpAddr::parse("127.0.0.1")}, port_, Port::pop3);
        server_->start();
        io_thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        asio::post(io_, [this] { server_->stop(); });
        io_thread_.join();
        server_.reset();
        async_.reset();
        log_.reset();
        std::fclose(log_file_);
        StoreTest::TearDown();
    }

    // One client connection, blocking, with its own io_context.
    struct Client {
        asio::io_context io;
        tcp::socket sock{io};
        asio::streambuf buf;
        std::string line() {
            asio::read_until(sock, buf, "\r\n");
            std::istream in(&buf);
            std::string l;
            std::getline(in, l);
            if (!l.empty() && l.back() == '\r') l.pop_back();
            return l;
        }
        std::string send(const std::string& command) {
            asio::write(sock, asio::buffer(command + "\r\n"));
            return line();
        }
    };
    std::unique_ptr<Client> connect() {
        auto c = std::make_unique<Client>();
        c->sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
        return c;
    }

    asio::io_context io_;
    std::unique_ptr<store::AsyncStore> async_;
    auth::LoginThrottle throttle_;
    mail::net::PasswordChecks passwords_;
    std::FILE* log_file_ = nullptr;
    std::unique_ptr<Logger> log_;
    std::unique_ptr<Server> server_;
    std::uint16_t port_ = 0;
    std::thread io_thread_;
};

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
