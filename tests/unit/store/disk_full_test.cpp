// A full disk: writes fail with Errc::io while RocksDB holds its error, the store reports entering and leaving that state once each, resumes by itself once space is back, and keeps everything it acknowledged.
//
// The disk is a RocksDB FileSystem wrapper whose appends fail with ENOSPC's
// status on demand (RocksDB's own fault-injection FileSystem is not in
// Debian's package), so this runs without root; the real thing, a full
// tmpfs under `mxlab serve`, is tests/integration/test_full_disk.py.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "mail/store/db.hpp"
#include "mail/store/recovery.hpp"
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

using namespace std::chrono_literals;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// Writable files whose appends fail while `full` is set, as write(2) does on a full file system.
class FullDisk final : public rocksdb::FileSystemWrapper {
public:
    FullDisk() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
    const char* Name() const override { return "FullDisk"; }

    std::atomic<bool> full{false};

    IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o, std::unique_ptr<rocksdb::FSWritableFile>* r,
                             IODebugContext* dbg) override {
        return wrap(f, target()->NewWritableFile(f, o, r, dbg), r);
    }
    IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o, std::unique_ptr<rocksdb::FSWritableFile>* r,
                                IODebugContext* dbg) override {
        return wrap(f, target()->ReopenWritableFile(f, o, r, dbg), r);
    }
    IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                               std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) override {
        return wrap(f, target()->ReuseWritableFile(f, old, o, r, dbg), r);
    }
    IOStatus GetFreeSpace(const std::string& path, const IOOptions& o, std::uint64_t* free, IODebugContext* dbg) override {
        if (full) {
            *free = 0;
            return IOStatus::OK();
        }
        return target()->GetFreeSpace(path, o, free, dbg);
    }

private:
    class File final : public rocksdb::FSWritableFileOwnerWrapper {
    public:
        File(std::unique_ptr<rocksdb::FSWritableFile> f, std::string name, const std::atomic<bool>& full)
            : FSWritableFileOwnerWrapper(std::move(f)), name_(std::move(name)), full_(full) {}
        IOStatus Append(const Slice& d, const IOOptions& o, IODebugContext* dbg) override {
            return full_ ? no_space() : target()->Append(d, o, dbg);
        }
        IOStatus Append(const Slice& d, const IOOptions& o, const rocksdb::DataVerificationInfo& v, IODebugContext* dbg) override {
            return full_ ? no_space() : target()->Append(d, o, v, dbg);
        }
        IOStatus PositionedAppend(const Slice& d, std::uint64_t at, const IOOptions& o, IODebugContext* dbg) override {
            return full_ ? no_space() : target()->PositionedAppend(d, at, o, dbg);
        }
        IOStatus PositionedAppend(const Slice& d, std::uint64_t at, const IOOptions& o, const rocksdb::DataVerificationInfo& v,
                                  IODebugContext* dbg) override {
            return full_ ? no_space() : target()->PositionedAppend(d, at, o, v, dbg);
        }

    private:
        // What RocksDB's POSIX file system returns for ENOSPC.
        IOStatus no_space() const { return IOStatus::NoSpace("While appending to file: " + name_, "No space left on device"); }
        std::string name_;
        const std::atomic<bool>& full_;
    };

    IOStatus wrap(const std::string& name, IOStatus s, std::unique_ptr<rocksdb::FSWritableFile>* r) {
        if (s.ok()) *r = std::make_unique<File>(std::move(*r), name, full);
        return s;
    }
};

// The events the store reported, for checks from the test's thread.
class Events {
public:
    StoreEventHook hook() {
        return [this](const StoreEvent& e) {
            std::lock_guard lock(mutex_);
            events_.push_back(e);
            cv_.notify_all();
        };
    }
    int count(StoreEvent::Kind k) {
        std::lock_guard lock(mutex_);
        int n = 0;
        for (const auto& e : events_) n += e.kind == k;
        return n;
    }
    // The first event of kind `k` within `timeout`, if any.
    std::optional<StoreEvent> wait_for(StoreEvent::Kind k, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        std::optional<StoreEvent> found;
        cv_.wait_for(lock, timeout, [&] {
            for (const auto& e : events_)
                if (e.kind == k) {
                    found = e;
                    return true;
                }
            return false;
        });
        return found;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<StoreEvent> events_;
};

class DiskFullTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (test_base_dir(false) / "mxlab-store-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    StoreOptions options() {
        StoreOptions o{dir_ / "store"};
        o.on_event = events_.hook();
        o.env = env_.get();
        o.resume_first = 20ms;  // the service's 1 s and 10 s, shortened
        o.resume_max = 80ms;
        return o;
    }
    void open() { store_ = std::make_unique<Store>(options()); }
    Store& s() { return *store_; }
    // The Subject of each message in the user's INBOX, in UID order.
    std::vector<std::string> subjects(const std::string& user) {
        std::vector<std::string> out;
        auto msgs = s().messages(user, "INBOX");
        EXPECT_TRUE(msgs.ok());
        for (const auto& m : msgs ? *msgs : std::vector<MessageInfo>{}) {
            auto raw = s().read_message(user, "INBOX", m.uid);
            if (!raw) continue;
            auto at = raw->find("Subject: ") + 9;
            out.push_back(raw->substr(at, raw->find("\r\n", at) - at));
        }
        return out;
    }

    std::shared_ptr<FullDisk> fs_ = std::make_shared<FullDisk>();
    std::unique_ptr<rocksdb::Env> env_ = rocksdb::NewCompositeEnv(fs_);
    Events events_;
    std::filesystem::path dir_;
    std::unique_ptr<Store> store_;
};

TEST_F(DiskFullTest, WritesFailWhileFullAndWorkAgainOnceSpaceIsBack) {
    open();
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("before")));
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("to delete")));

    fs_->full = true;
    auto during = s().deliver(to_users({"bob@sina.com"}), make_message("during"));
    ASSERT_FALSE(during.ok());
    EXPECT_EQ(during.code(), Errc::io);  // SMTP's 451: the sender keeps the message and tries again
    auto big = s().deliver(to_users({"bob@sina.com"}), make_message("big during", 3 * chunk_size));
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.code(), Errc::io);
    auto removed = s().remove_messages("bob@sina.com", "INBOX", one_uid(2));
    ASSERT_FALSE(removed.ok());  // POP3's -ERR at QUIT
    EXPECT_EQ(removed.code(), Errc::io);
    // Reads go on: POP3 and IMAP clients can still fetch their mail.
    EXPECT_EQ(subjects("bob@sina.com"), (std::vector<std::string>{"before", "to delete"}));

    auto full = events_.wait_for(StoreEvent::Kind::disk_full, 2s);
    ASSERT_TRUE(full);
    EXPECT_NE(full->detail.find("No space left on device"), std::string::npos) << full->detail;
    EXPECT_EQ(full->free_bytes, free_bytes(dir_));  // from the real file system: the wrapper fakes only the appends
    std::this_thread::sleep_for(300ms);  // several Resume() attempts, each failing again
    EXPECT_EQ(events_.count(StoreEvent::Kind::disk_full), 1);
    EXPECT_EQ(events_.count(StoreEvent::Kind::recovered), 0);
    EXPECT_FALSE(s().deliver(to_users({"bob@sina.com"}), make_message("still during")).ok());

    fs_->full = false;
    auto back = events_.wait_for(StoreEvent::Kind::recovered, 3s);
    ASSERT_TRUE(back) << "no recovery within 3 s of space coming back";
    EXPECT_GE(back->attempts, 2u);
    EXPECT_GE(back->outage, 300ms);
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("after")));
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("big after", 3 * chunk_size)));
    MX_ASSERT_OK(s().remove_messages("bob@sina.com", "INBOX", one_uid(2)));
    EXPECT_EQ(events_.count(StoreEvent::Kind::disk_full), 1);
    EXPECT_EQ(events_.count(StoreEvent::Kind::recovered), 1);

    // What a restart finds: everything acknowledged, nothing that was refused.
    store_.reset();
    open();
    EXPECT_EQ(subjects("bob@sina.com"), (std::vector<std::string>{"before", "after", "big after"}));
}

TEST_F(DiskFullTest, AFullDiskAgainAfterRecoveryIsReportedAgain) {
    open();
    for (int round = 1; round <= 2; ++round) {
        fs_->full = true;
        EXPECT_FALSE(s().deliver(to_users({"bob@sina.com"}), make_message("refused")).ok());
        ASSERT_TRUE(events_.wait_for(StoreEvent::Kind::disk_full, 2s));
        fs_->full = false;
        for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;) {
            if (events_.count(StoreEvent::Kind::recovered) == round) break;
            std::this_thread::sleep_for(10ms);
        }
        EXPECT_EQ(events_.count(StoreEvent::Kind::disk_full), round);
        EXPECT_EQ(events_.count(StoreEvent::Kind::recovered), round);
        MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("accepted")));
    }
}

TEST_F(DiskFullTest, RocksDbKeepsNoLogFileAndSpeaksThroughTheHook) {
    // A LOG file on the full disk was what aborted the process (db.cpp).
    open();
    fs_->full = true;
    EXPECT_FALSE(s().deliver(to_users({"bob@sina.com"}), make_message("refused")).ok());
    ASSERT_TRUE(events_.wait_for(StoreEvent::Kind::rocksdb, 2s));
    fs_->full = false;
    ASSERT_TRUE(events_.wait_for(StoreEvent::Kind::recovered, 5s));
    store_.reset();
    EXPECT_FALSE(std::filesystem::exists(dir_ / "store" / "LOG"));
}

TEST_F(DiskFullTest, OpeningANewStoreOnAFullDiskSaysWhatToDo) {
    fs_->full = true;
    try {
        open();
        FAIL() << "the store opened on a full disk";
    } catch (const StoreOpenError& e) {
        EXPECT_NE(std::string(e.what()).find("the file system holding data_dir is full"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("free space on it"), std::string::npos) << e.what();
    }
    fs_->full = false;
    open();  // and once there is room, it opens
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("first")));
}

TEST_F(DiskFullTest, ReopeningAStoreOnAFullDiskSaysWhatToDoAndLosesNothing) {
    open();
    MX_ASSERT_OK(s().deliver(to_users({"bob@sina.com"}), make_message("kept")));
    store_.reset();
    fs_->full = true;
    try {
        open();
        // Opening may need no write at all; then the first write is refused like any other.
        EXPECT_FALSE(s().deliver(to_users({"bob@sina.com"}), make_message("refused")).ok());
        store_.reset();
    } catch (const StoreOpenError& e) {
        EXPECT_NE(std::string(e.what()).find("the file system holding data_dir is full"), std::string::npos) << e.what();
    }
    fs_->full = false;
    open();
    EXPECT_EQ(subjects("bob@sina.com"), (std::vector<std::string>{"kept"}));
}

}  // namespace
}  // namespace mxlab::store::test
