// Open connections per client and in all, for the limits a server checks at accept: admission counts a slot, give_back returns it.
//
// Not synchronized: the server calls it under the mutex that guards its own
// connection set, so that counting and refusing are one step.
#pragma once

#include <cstddef>
#include <map>

namespace mxlab {

template <class Key>
class ConnectionSlots {
public:
    enum class Admission { ok, per_client, total };

    // Counts a slot for `client` unless it holds `per_client` already or all
    // hold `total`.
    Admission take(const Key& client, std::size_t per_client, std::size_t total) {
        auto it = per_client_.find(client);
        if (it != per_client_.end() && it->second >= per_client) return Admission::per_client;
        if (all_ >= total) return Admission::total;
        if (it == per_client_.end()) per_client_.emplace(client, 1);
        else ++it->second;
        ++all_;
        return Admission::ok;
    }

    void give_back(const Key& client) {
        auto it = per_client_.find(client);
        if (it == per_client_.end()) return;
        if (--it->second == 0) per_client_.erase(it);
        --all_;
    }

    std::size_t held(const Key& client) const {
        auto it = per_client_.find(client);
        return it == per_client_.end() ? 0 : it->second;
    }
    std::size_t size() const { return all_; }

private:
    std::map<Key, std::size_t> per_client_;  // only clients holding a slot: bounded by the total
    std::size_t all_ = 0;
};

}  // namespace mxlab
