// Noticing RocksDB's background-error state and calling DB::Resume() with a bounded back-off until it clears (design in recovery.hpp).
#include "mail/store/recovery.hpp"

#include <algorithm>
#include <system_error>

namespace mxlab::store {

bool is_no_space(const rocksdb::Status& s) {
    if (s.IsNoSpace()) return true;
    // Some paths report ENOSPC or EDQUOT as a plain IOError carrying strerror's text.
    const std::string what = s.ToString();
    return what.find("No space left on device") != std::string::npos || what.find("Disk quota exceeded") != std::string::npos;
}

std::uint64_t free_bytes(const std::filesystem::path& path) {
    std::error_code ec;
    // Before the store exists (creating it is what failed) ask its nearest existing parent.
    std::filesystem::path p = path;
    while (p.has_parent_path() && p != p.parent_path() && !std::filesystem::exists(p, ec)) p = p.parent_path();
    auto info = std::filesystem::space(p.empty() ? std::filesystem::path(".") : p, ec);
    return ec ? 0 : info.available;
}

class Recovery::Listener final : public rocksdb::EventListener {
public:
    explicit Listener(Recovery& r) : r_(r) {}
    const char* Name() const override { return "mxlab.store.Recovery"; }

    // Runs on the thread whose write failed (or RocksDB's flush thread), DB mutex released.
    void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
        if (error) r_.background_error(*error);
    }

    void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status, bool* auto_recovery) override {
        // RocksDB's own retry would block ours (Busy) and, on a small disk, never run: recovery.hpp.
        if (auto_recovery) *auto_recovery = false;
    }

private:
    Recovery& r_;
};

Recovery::Recovery(const StoreOptions& options)
    : path_(options.path), hook_(options.on_event), first_(options.resume_first), max_(std::max(options.resume_max, options.resume_first)) {}

Recovery::~Recovery() { stop(); }

std::shared_ptr<rocksdb::EventListener> Recovery::listener() { return std::make_shared<Listener>(*this); }

void Recovery::start(rocksdb::DB* db) {
    db_ = db;
    thread_ = std::thread([this] { run(); });
}

void Recovery::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Recovery::report(const StoreEvent& e) const {
    if (!hook_) return;
    try {
        hook_(e);
    } catch (...) {  // a log line that cannot be written must not unwind through RocksDB
    }
}

void Recovery::background_error(const rocksdb::Status& s) {
    if (s.ok()) return;
    std::lock_guard lock(mutex_);
    pending_ = true;
    wake_.notify_one();
    // A soft error (a compaction found no room) leaves writes working: the
    // thread clears it, but it is no outage. Reported under the lock, so
    // that "recovered" can never come out before the line it answers.
    if (failing_ || s.severity() < rocksdb::Status::Severity::kHardError) return;
    failing_ = true;
    since_ = std::chrono::steady_clock::now();
    StoreEvent e{StoreEvent::Kind::write_error, s.ToString()};
    if (is_no_space(s)) {
        e.kind = StoreEvent::Kind::disk_full;
        e.free_bytes = free_bytes(path_);
    }
    report(e);
}

void Recovery::run() {
    auto delay = first_;
    unsigned attempts = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || pending_; });
        if (wake_.wait_for(lock, delay, [this] { return stopping_; })) return;
        pending_ = false;
        lock.unlock();
        // Flushes the memtables (the WAL that failed cannot be trusted to
        // take more) and lets writes in again; fails as before while the
        // disk is still full.
        rocksdb::Status s = db_->Resume();
        lock.lock();
        ++attempts;
        if (!s.ok()) {
            pending_ = true;  // still full, or Busy: try again, less often
            delay = std::min(delay * 2, max_);
            continue;
        }
        if (failing_) {
            StoreEvent e{StoreEvent::Kind::recovered, {}};
            e.outage = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since_);
            e.attempts = attempts;
            report(e);
            delay = first_;
        } else {
            // A soft error cleared; a compaction that still finds no room
            // brings it back, and should not be retried every second.
            delay = std::min(delay * 2, max_);
        }
        failing_ = false;
        attempts = 0;
    }
}

}  // namespace mxlab::store
