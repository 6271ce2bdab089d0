// Opening and closing the store's RocksDB database, with per-family options (see keys.hpp for the families), its log and its error listener.
#include "mail/store/db.hpp"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <system_error>
#include <vector>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include "mail/store/recovery.hpp"

namespace mxlab::store {

namespace {

rocksdb::CompressionType fast_compression() {
    // Mail is text and compresses well; LZ4 costs little CPU. Debian's build
    // has it, but a build without it must still open.
    auto have = rocksdb::GetSupportedCompressions();
    if (std::find(have.begin(), have.end(), rocksdb::kLZ4Compression) != have.end()) return rocksdb::kLZ4Compression;
    return rocksdb::kNoCompression;
}

rocksdb::ColumnFamilyOptions family_options(Cf cf, const std::shared_ptr<rocksdb::Cache>& cache) {
    rocksdb::ColumnFamilyOptions o;
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.cache_index_and_filter_blocks = true;
    // Point lookups (a mailbox record, a blob header) dominate outside scans:
    // a Bloom filter saves a disk read for keys that are not there.
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    o.compression = fast_compression();
    o.write_buffer_size = 16 << 20;
    if (cf == Cf::blob_data) {
        // Raw messages are large and written once: keep them in blob files
        // so compactions move keys, not megabytes of mail.
        o.write_buffer_size = 64 << 20;
        o.enable_blob_files = true;
        o.min_blob_size = 4096;
        o.blob_compression_type = fast_compression();
        o.enable_blob_garbage_collection = true;
    }
    return o;
}

// RocksDB's own log goes to the store's event hook, not to a LOG file under
// data_dir: Debian's librocksdb is built with assertions on, and once one
// write to that file has failed (ENOSPC) its next line aborts the process
// (WritableFileWriter::AssertFalseAndGetStatusForPrevError). That, not the
// store, was the SIGABRT of a full disk. Warnings and errors only, as before.
class HookLogger final : public rocksdb::Logger {
public:
    explicit HookLogger(StoreEventHook hook) : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), hook_(std::move(hook)) {}

    void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::WARN_LEVEL, format, ap); }

    void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
        if (!hook_ || level < GetInfoLogLevel()) return;
        static constexpr const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL", "HEADER"};
        const auto i = static_cast<std::size_t>(level);
        std::string line = std::string("[") + (i < std::size(names) ? names[i] : "?") + "] ";
        va_list copy;
        va_copy(copy, ap);
        const int n = std::vsnprintf(nullptr, 0, format, copy);
        va_end(copy);
        if (n > 0) {
            const std::size_t at = line.size();
            line.resize(at + static_cast<std::size_t>(n) + 1);
            std::vsnprintf(line.data() + at, static_cast<std::size_t>(n) + 1, format, ap);
            line.resize(at + static_cast<std::size_t>(n));
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
        try {
            hook_(StoreEvent{StoreEvent::Kind::rocksdb, std::move(line)});
        } catch (...) {  // a log line that cannot be written must not unwind through RocksDB
        }
    }

private:
    StoreEventHook hook_;
};

std::string no_space_hint(const std::filesystem::path& path) {
    return "the file system holding data_dir is full (" + std::to_string(free_bytes(path) / 1024) +
           " KiB free): free space on it, or move data_dir to a larger one, then start mxlab again";
}

}  // namespace

std::string open_hint(const rocksdb::Status& s, const std::filesystem::path& path) {
    if (is_no_space(s)) return no_space_hint(path);
    std::string what = s.ToString();
    if (what.find("lock") != std::string::npos || what.find("LOCK") != std::string::npos)
        return "another mxlab process is using this data_dir: stop it, or give this one another data_dir";
    if (s.IsCorruption())
        return "the database is damaged: restore data_dir from a backup, or move it aside to start with an empty store";
    return "check that data_dir exists, is on a writable file system with free space, and belongs to the user mxlab runs as";
}

Error db_error(const rocksdb::Status& s, std::string_view what) {
    return make_error(s.IsCorruption() ? Errc::corrupt : Errc::io, std::string(what) + ": " + s.ToString());
}

Db::Db(const std::filesystem::path& path, std::size_t cache_bytes) : Db(StoreOptions{path, cache_bytes}) {}

Db::Db(const StoreOptions& options) : path_(options.path), recovery_(std::make_unique<Recovery>(options)) {
    const auto& path = options.path;
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
        throw StoreOpenError("cannot create the mail store directory " + path.string() + ": " + ec.message() + "; " +
                             (ec == std::errc::no_space_on_device ? no_space_hint(path)
                                                                 : "check that data_dir is writable by the user mxlab runs as"));

    rocksdb::DBOptions dbo;
    dbo.create_if_missing = true;
    dbo.create_missing_column_families = true;
    dbo.max_background_jobs = 2;
    // Rarely written families (counters, subscriptions) would otherwise pin
    // old WAL files; past this size RocksDB flushes them.
    dbo.max_total_wal_size = 256 << 20;
    dbo.info_log = std::make_shared<HookLogger>(options.on_event);
    dbo.listeners.push_back(recovery_->listener());
    if (options.env) dbo.env = options.env;

    auto cache = rocksdb::NewLRUCache(options.cache_bytes);
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (int i = 0; i < cf_count; ++i)
        families.emplace_back(std::string(cf_names[i]), family_options(static_cast<Cf>(i), cache));

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::Status s = rocksdb::DB::Open(dbo, path.string(), families, &handles, &db_);
    if (!s.ok())
        throw StoreOpenError("cannot open the mail store at " + path.string() + ": " + s.ToString() + "; " + open_hint(s, path));
    std::copy(handles.begin(), handles.end(), handles_.begin());
    recovery_->start(db_);
}

Db::~Db() {
    recovery_->stop();  // no Resume() may run into Close()
    for (auto* h : handles_)
        if (h) db_->DestroyColumnFamilyHandle(h);
    if (db_) {
        db_->Close().PermitUncheckedError();
        delete db_;
    }
}

}  // namespace mxlab::store
