// Persisted SOA serials: a zone's serial grows only when its content changes, and never goes back.
//
// File data_dir/dns-serials, one line per zone ever served:
//     <zone> <content hash, 16 hex digits> <serial>
// written atomically (temp file, fsync, rename, fsync of the folder), so a
// crash leaves the old or the new file, never a torn one. Zones dropped from
// the config keep their line, so a zone that comes back continues upwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mxlab::dns {

class SerialStore {
public:
    enum class Mode {
        read_write,  // `mxlab serve`: serials handed out are saved before they are served
        read_only,   // `mxlab zone`, `mxlab check`: computes the same serials, writes nothing
    };

    // Loads the file when it exists. Throws std::runtime_error when it exists
    // but cannot be read or is not in the format above (a start-up problem: a
    // silently ignored file would let serials go back).
    explicit SerialStore(std::filesystem::path file, Mode mode = Mode::read_write);

    struct Entry {
        std::uint64_t hash = 0;
        std::uint32_t serial = 0;
    };
    std::optional<Entry> find(std::string_view zone) const;

    // The serial for a zone whose content (everything but the SOA serial) has
    // this hash: the stored one when the hash is unchanged; otherwise
    // max(old + 1, YYYYMMDD00 of `today`) in RFC 1982 serial arithmetic, or
    // YYYYMMDD00 for a zone never seen.
    std::uint32_t serial_for(std::string_view zone, std::uint64_t hash, std::chrono::sys_days today) const;

    // Records what is now served; save() writes it.
    void set(std::string_view zone, std::uint64_t hash, std::uint32_t serial);

    // Writes the file when something changed since the last load/save (never
    // in read_only mode). Returns an error message on failure.
    std::optional<std::string> save();

    const std::filesystem::path& file() const { return file_; }
    Mode mode() const { return mode_; }

    // YYYYMMDD00 of a day (UTC).
    static std::uint32_t date_serial(std::chrono::sys_days day);
    // RFC 1982: is a after b?
    static bool serial_greater(std::uint32_t a, std::uint32_t b);

private:
    std::filesystem::path file_;
    Mode mode_;
    std::map<std::string, Entry, std::less<>> entries_;
    bool dirty_ = false;
};

}  // namespace mxlab::dns
