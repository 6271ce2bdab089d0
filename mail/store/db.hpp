// The RocksDB handle behind the store: opening with the families of keys.hpp and their tuning, recovery from a full disk, RAII close.
//
// Internal to mail/store: the rest of mxlab sees Store (store.hpp) and never
// includes RocksDB headers.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <rocksdb/db.h>

#include "mail/store/keys.hpp"
#include "mail/store/status.hpp"
#include "mail/store/store.hpp"

namespace mxlab::store {

// Thrown only when the store cannot be opened; the message says what and what to do.
class StoreOpenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Recovery;

class Db {
public:
    // Opens (creating when missing) the database at options.path. Throws StoreOpenError.
    explicit Db(const StoreOptions& options);
    Db(const std::filesystem::path& path, std::size_t cache_bytes);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    rocksdb::DB* get() const { return db_; }
    rocksdb::ColumnFamilyHandle* cf(Cf c) const { return handles_[static_cast<int>(c)]; }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::unique_ptr<Recovery> recovery_;  // before db_: RocksDB calls its listener until db_ is deleted
    rocksdb::DB* db_ = nullptr;
    std::array<rocksdb::ColumnFamilyHandle*, cf_count> handles_{};
};

// An Errc::io (or corrupt) Error for a failed RocksDB call, naming what was being done.
Error db_error(const rocksdb::Status& s, std::string_view what);

// What to do when opening the store at `path` failed with `s`, for StoreOpenError's message.
std::string open_hint(const rocksdb::Status& s, const std::filesystem::path& path);

}  // namespace mxlab::store
