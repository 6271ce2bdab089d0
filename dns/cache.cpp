// The forwarder's cache: a map into a recency list, bounded in entries and bytes.
#include "dns/cache.hpp"

namespace mxlab::dns {

namespace {

std::size_t cost(const std::string& key, const StoredReply& r) {
    return key.size() + r.message.size() + r.ttl_at.size() * sizeof(std::uint32_t) + sizeof(StoredReply) + 64;
}

}  // namespace

DnsCache::DnsCache(Limits limits, Now now) : limits_(limits), now_(std::move(now)) {}

void DnsCache::erase(Lru::iterator it) {
    bytes_ -= cost(it->key, *it->reply);
    index_.erase(it->key);
    lru_.erase(it);
}

std::optional<DnsCache::Hit> DnsCache::find(const std::string& key) {
    const auto now = now_();
    std::lock_guard lock(mu_);
    const auto i = index_.find(key);
    if (i == index_.end()) return std::nullopt;
    const auto it = i->second;
    if (now >= it->expires) {
        erase(it);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it);
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - it->stored).count();
    return Hit{it->reply, static_cast<std::uint32_t>(std::max<std::int64_t>(age, 0))};
}

void DnsCache::insert(const std::string& key, std::shared_ptr<const StoredReply> reply) {
    if (!reply || reply->lifetime == 0) return;
    const std::size_t c = cost(key, *reply);
    if (c > limits_.max_bytes || limits_.max_entries == 0) return;
    const auto now = now_();
    std::lock_guard lock(mu_);
    if (const auto i = index_.find(key); i != index_.end()) erase(i->second);
    while (!lru_.empty() && (lru_.size() >= limits_.max_entries || bytes_ + c > limits_.max_bytes))
        erase(std::prev(lru_.end()));
    const auto expires = now + std::chrono::seconds(reply->lifetime);
    lru_.push_front(Entry{key, std::move(reply), now, expires});
    index_.emplace(key, lru_.begin());
    bytes_ += c;
}

std::size_t DnsCache::size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
}

std::size_t DnsCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

}  // namespace mxlab::dns
