// Leaving RocksDB's read-only error state once its cause is gone (a full disk, mostly), and saying so once each way.
//
// Why. When a WAL append, flush or compaction fails (ENOSPC), RocksDB records
// a "background error" and from then on fails every write at once, until the
// error is cleared. Left alone, RocksDB 7.8 does not clear it on a small disk:
// its SstFileManager retries only once 64 MiB (the largest write buffer) are
// free, and while that retry is pending a manual DB::Resume() gets Busy. So
// our listener turns RocksDB's own recovery off, and our thread calls
// DB::Resume() after resume_first, then at doubling intervals up to
// resume_max (StoreOptions: 1 s and 10 s), for as long as the error lasts: a
// freed disk is noticed within seconds, a full one costs one failed flush
// attempt per interval.
//
// Meanwhile writes fail with the error (Errc::io: SMTP 451, POP3 -ERR) and
// nothing acknowledged is lost: it is in the synced WAL and the memtables,
// and Resume() flushes those to table files before it lets writes in again.
// Entering the state (StoreEvent disk_full or write_error) and leaving it
// (recovered) are reported once each, through StoreOptions::on_event.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <rocksdb/db.h>
#include <rocksdb/listener.h>

#include "mail/store/store.hpp"

namespace mxlab::store {

// Whether a RocksDB error means the file system is full (or the user's quota is used up).
bool is_no_space(const rocksdb::Status& s);

// Bytes available to mxlab on the file system holding `path` (0 when unknown).
std::uint64_t free_bytes(const std::filesystem::path& path);

class Recovery {
public:
    explicit Recovery(const StoreOptions& options);
    ~Recovery();
    Recovery(const Recovery&) = delete;
    Recovery& operator=(const Recovery&) = delete;

    // For DBOptions::listeners, before DB::Open. It must not outlive this object.
    std::shared_ptr<rocksdb::EventListener> listener();
    // After DB::Open succeeded: starts the thread that calls db->Resume().
    void start(rocksdb::DB* db);
    // Before the DB closes: a Resume() in progress finishes first. Idempotent.
    void stop();

private:
    class Listener;

    void background_error(const rocksdb::Status& s);
    void run();
    void report(const StoreEvent& e) const;

    const std::filesystem::path path_;
    const StoreEventHook hook_;
    const std::chrono::milliseconds first_, max_;
    rocksdb::DB* db_ = nullptr;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;   // RocksDB holds an error that Resume() has not been asked to clear
    bool failing_ = false;   // writes fail (a hard error or worse), since since_
    bool stopping_ = false;
    std::chrono::steady_clock::time_point since_;
    std::thread thread_;
};

}  // namespace mxlab::store
