// KvRead over committed data (DbRead) and over the writer's pending batch (WriteTxn).
#include "mail/store/txn.hpp"

#include <memory>

#include "mail/store/keys.hpp"
#include "mail/store/records.hpp"

namespace mxlab::store {

namespace {

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

Status run_scan(rocksdb::Iterator& it, std::string_view from, std::string_view to, const ScanFn& fn) {
    for (it.Seek(slice(from)); it.Valid(); it.Next()) {
        auto k = view(it.key());
        if (!to.empty() && k >= to) break;
        if (!fn(k, view(it.value()))) break;
    }
    if (!it.status().ok()) return db_error(it.status(), "scan");
    return {};
}

}  // namespace

std::string prefix_end(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty()) {
        auto& c = reinterpret_cast<unsigned char&>(end.back());
        if (c != 0xff) {
            ++c;
            return end;
        }
        end.pop_back();
    }
    return end;
}

Status KvRead::scan_prefix(Cf cf, std::string_view prefix, const ScanFn& fn) {
    std::string end = prefix_end(prefix);
    return scan(cf, prefix, end, fn);
}

Result<std::optional<std::string>> DbRead::get(Cf cf, std::string_view key) {
    std::string value;
    auto s = db_.get()->Get(opts_, db_.cf(cf), slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error(s, "read");
    return std::optional<std::string>(std::move(value));
}

Status DbRead::scan(Cf cf, std::string_view from, std::string_view to, const ScanFn& fn) {
    rocksdb::ReadOptions o = opts_;
    rocksdb::Slice upper = slice(to);
    if (!to.empty()) o.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_.get()->NewIterator(o, db_.cf(cf)));
    return run_scan(*it, from, to, fn);
}

Result<std::optional<std::string>> WriteTxn::get(Cf cf, std::string_view key) {
    std::string value;
    auto s = batch_.GetFromBatchAndDB(db_.get(), opts_, db_.cf(cf), slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return db_error(s, "read");
    return std::optional<std::string>(std::move(value));
}

Status WriteTxn::scan(Cf cf, std::string_view from, std::string_view to, const ScanFn& fn) {
    // Callers collect what they need and write after the scan: changing the
    // batch under a live base+delta iterator invalidates it.
    rocksdb::ReadOptions o = opts_;
    rocksdb::Slice upper = slice(to);
    if (!to.empty()) o.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(
        batch_.NewIteratorWithBase(db_.cf(cf), db_.get()->NewIterator(o, db_.cf(cf)), &o));
    return run_scan(*it, from, to, fn);
}

void WriteTxn::put(Cf cf, std::string_view key, std::string_view value) {
    batch_.Put(db_.cf(cf), slice(key), slice(value)).PermitUncheckedError();
}

void WriteTxn::del(Cf cf, std::string_view key) { batch_.Delete(db_.cf(cf), slice(key)).PermitUncheckedError(); }

Result<std::uint64_t> WriteTxn::take_counter(std::string_view name, std::uint64_t initial) {
    auto v = get(Cf::counters, name);
    if (!v) return v.error();
    std::uint64_t current = initial;
    if (*v) {
        auto decoded = decode_counter(**v);
        if (!decoded) return make_error(Errc::corrupt, "counter " + std::string(name) + " does not decode");
        current = *decoded;
    }
    put(Cf::counters, name, keys::counter_value(current + 1));
    return current;
}

}  // namespace mxlab::store
