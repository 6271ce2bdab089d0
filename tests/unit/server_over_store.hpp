// A mail server (SMTP or POP3) run in-process over a real store (RocksDB in a temporary directory) on a free loopback port, for tests that watch both sides.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "core/asio.hpp"
#include "core/log.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/net/snapshot.hpp"
#include "mail/store/async_store.hpp"
#include "tests/unit/lab_config.hpp"
#include "tests/unit/line_client.hpp"
#include "tests/unit/store/store_fixture.hpp"

namespace mxlab::test {

// `Server` is smtp::Server or pop3::Server, listening as `kind`, on the lab config.
template <class Server, auto kind>
class ServerOverStore : public store::test::StoreTest {
protected:
    void SetUp() override {
        StoreTest::SetUp();
        std::string errors;
        auto cfg = load_lab({}, errors);
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
        server_->bind({*config::IpAddr::parse("127.0.0.1")}, port_, kind);
        server_->start();
        io_thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        asio::post(io_, [this] { server_->stop(); });
        if (io_thread_.joinable()) io_thread_.join();
        server_.reset();
        async_.reset();
        log_.reset();
        std::fclose(log_file_);
        StoreTest::TearDown();
    }

    std::unique_ptr<LineClient> connect() { return LineClient::connect(port_); }

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

}  // namespace mxlab::test
