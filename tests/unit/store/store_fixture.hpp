// A fresh store in its own temporary directory per test, reopenable to check what survives a restart.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "mail/store/names.hpp"
#include "mail/store/store.hpp"

namespace mxlab::store::test {

// Where test stores live. The logic tests use tmpfs (/dev/shm) when there is
// one: RocksDB makes ~36 fsyncs to create and close an empty database, which
// on a busy disk costs a quarter second per test and says nothing about the
// logic. Tests that measure the sync itself ask for the real disk.
// MXLAB_STORE_TEST_DIR overrides both.
inline std::filesystem::path test_base_dir(bool on_disk) {
    if (const char* dir = std::getenv("MXLAB_STORE_TEST_DIR")) return dir;
    std::error_code ec;
    if (!on_disk && std::filesystem::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0) return "/dev/shm";
    return ::testing::TempDir();
}

class StoreTest : public ::testing::Test {
protected:
    virtual bool on_disk() const { return false; }
    void SetUp() override {
        std::string tmpl = (test_base_dir(on_disk()) / "mxlab-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        open();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void open() { store_ = std::make_unique<Store>(StoreOptions{dir_ / "store"}); }
    // What a restart does: the Store is destroyed (queued writes committed, RocksDB closed) and opened again.
    void reopen() {
        store_.reset();
        open();
    }
    Store& s() { return *store_; }

    std::filesystem::path dir_;
    std::unique_ptr<Store> store_;
};

// For tests whose figures depend on the disk's fsync (group commit throughput).
class DiskStoreTest : public StoreTest {
protected:
    bool on_disk() const override { return true; }
};

// A small RFC 5322 message; `body_size` pads the body with text lines.
inline std::string make_message(const std::string& subject, std::size_t body_size = 64) {
    std::string m = "From: bob@sina.com\r\nTo: wfisk@bigsky.com\r\nSubject: " + subject + "\r\n\r\n";
    std::string line = "The quick brown fox jumps over the lazy dog, " + subject + ".\r\n";
    while (m.size() < body_size) m += line;
    return m;
}

inline Envelope to_users(std::vector<std::string> users) {
    Envelope e;
    e.local_users = std::move(users);
    e.sender = "bob@sina.com";
    return e;
}

// gtest prints the error message when a Result check fails.
#define MX_ASSERT_OK(expr)                                                                 \
    do {                                                                                   \
        const auto& mx_r_ = (expr);                                                        \
        ASSERT_TRUE(mx_r_.ok()) << #expr << ": " << (mx_r_.ok() ? "" : mx_r_.error().message); \
    } while (0)

}  // namespace mxlab::store::test
