// Persisted SOA serials (see serials.hpp): load, compute, atomic save.
#include "dns/serials.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mxlab::dns {

namespace {

std::string errno_text() {
    const int err = errno;
    std::string text = std::strerror(err);
    if (err == ENOSPC || err == EDQUOT)
        text += " (the file system holding data_dir is full: free space on it, or move data_dir to a larger one)";
    return text;
}

// Writes all of `data` to fd; false on error (errno set).
bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Closes an fd when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

SerialStore::SerialStore(std::filesystem::path file, Mode mode) : file_(std::move(file)), mode_(mode) {
    std::ifstream in(file_);
    if (!in) {
        std::error_code ec;
        if (!std::filesystem::exists(file_, ec) && !ec) return;  // first start
        throw std::runtime_error(file_.string() + ": cannot read: " + errno_text());
    }
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        std::istringstream fields(line);
        std::string zone, hash_text, serial_text, extra;
        fields >> zone >> hash_text >> serial_text;
        Entry e;
        const auto h = std::from_chars(hash_text.data(), hash_text.data() + hash_text.size(), e.hash, 16);
        const auto s = std::from_chars(serial_text.data(), serial_text.data() + serial_text.size(), e.serial);
        if (zone.empty() || hash_text.size() != 16 || h.ec != std::errc{} || h.ptr != hash_text.data() + 16 ||
            s.ec != std::errc{} || s.ptr != serial_text.data() + serial_text.size() || (fields >> extra)) {
            throw std::runtime_error(file_.string() + ":" + std::to_string(lineno) +
                                     ": expected \"<zone> <16 hex digits> <serial>\"; fix or remove the line");
        }
        entries_[zone] = e;
    }
    if (in.bad()) throw std::runtime_error(file_.string() + ": cannot read: " + errno_text());
}

std::optional<SerialStore::Entry> SerialStore::find(std::string_view zone) const {
    const auto it = entries_.find(zone);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::uint32_t SerialStore::date_serial(std::chrono::sys_days day) {
    const std::chrono::year_month_day ymd{day};
    return static_cast<std::uint32_t>(static_cast<int>(ymd.year()) * 1000000 +
                                      static_cast<int>(static_cast<unsigned>(ymd.month())) * 10000 +
                                      static_cast<int>(static_cast<unsigned>(ymd.day())) * 100);
}

bool SerialStore::serial_greater(std::uint32_t a, std::uint32_t b) {
    // RFC 1982 section 3.2 with SERIAL_BITS = 32.
    return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}

std::uint32_t SerialStore::serial_for(std::string_view zone, std::uint64_t hash, std::chrono::sys_days today) const {
    const std::uint32_t dated = date_serial(today);
    const auto old = find(zone);
    if (!old) return dated;
    if (old->hash == hash) return old->serial;
    const std::uint32_t next = old->serial + 1;  // wraps as RFC 1982 intends
    return serial_greater(dated, next) ? dated : next;
}

void SerialStore::set(std::string_view zone, std::uint64_t hash, std::uint32_t serial) {
    auto it = entries_.find(zone);
    if (it == entries_.end()) {
        entries_.emplace(std::string(zone), Entry{hash, serial});
        dirty_ = true;
    } else if (it->second.hash != hash || it->second.serial != serial) {
        it->second = {hash, serial};
        dirty_ = true;
    }
}

std::optional<std::string> SerialStore::save() {
    if (!dirty_ || mode_ == Mode::read_only) return std::nullopt;
    std::string text;
    for (const auto& [zone, e] : entries_) {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(e.hash));
        text += zone + ' ' + hex + ' ' + std::to_string(e.serial) + '\n';
    }
    const std::filesystem::path tmp = file_.string() + ".tmp";
    {
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
        if (f.fd < 0) return tmp.string() + ": cannot create: " + errno_text();
        if (!write_all(f.fd, text) || ::fsync(f.fd) != 0) {
            auto why = tmp.string() + ": cannot write: " + errno_text();
            ::unlink(tmp.c_str());  // a half-written copy helps nobody and holds space on a full disk
            return why;
        }
    }
    if (::rename(tmp.c_str(), file_.c_str()) != 0) return file_.string() + ": cannot replace: " + errno_text();
    // The rename is durable only once the folder is synced.
    std::filesystem::path dir = file_.parent_path();
    if (dir.empty()) dir = ".";
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0 || ::fsync(d.fd) != 0) return dir.string() + ": cannot sync: " + errno_text();
    dirty_ = false;
    return std::nullopt;
}

}  // namespace mxlab::dns
