// The forwarder's cache: stored upstream replies by (name, type, class), bounded, least recently used out first.
//
// Entries live for StoredReply::lifetime seconds (already capped: a day,
// an hour for negative answers; see forward.hpp). At most max_entries and
// max_bytes of replies are held; past either, the least recently used go.
// The clock is injected, so tests can move time. Thread-safe (one mutex):
// the UDP threads and the forwarder's strands share it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "dns/forward.hpp"

namespace mxlab::dns {

class DnsCache {
public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;

    struct Limits {
        std::size_t max_entries = 10000;
        std::size_t max_bytes = 32u << 20;  // replies can be 64 KB (TCP); 10,000 of those would be 640 MB
    };

    struct Hit {
        std::shared_ptr<const StoredReply> reply;
        std::uint32_t elapsed = 0;  // seconds since it was stored, to count the TTLs down
    };

    explicit DnsCache(Limits limits, Now now = Clock::now);

    // The entry while its lifetime lasts; an expired one is dropped.
    std::optional<Hit> find(const std::string& key);
    // Replaces an older entry of the key; a reply with lifetime 0 is not kept.
    void insert(const std::string& key, std::shared_ptr<const StoredReply> reply);

    std::size_t size() const;
    std::size_t bytes() const;

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const StoredReply> reply;
        Clock::time_point stored;
        Clock::time_point expires;
    };
    using Lru = std::list<Entry>;  // most recently used first

    void erase(Lru::iterator it);

    Limits limits_;
    Now now_;
    mutable std::mutex mu_;
    Lru lru_;
    std::unordered_map<std::string, Lru::iterator> index_;
    std::size_t bytes_ = 0;
};

}  // namespace mxlab::dns
