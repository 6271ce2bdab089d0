// The zones currently served, swapped whole on reload; readers take no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace mxlab::dns {

class ZoneSet;

// Readers on hot paths keep their own shared_ptr and only call get() when
// generation() moved, so a query costs one relaxed atomic load, not a
// reference-count bounce between cores.
class ZoneHolder {
public:
    void set(std::shared_ptr<const ZoneSet> zones) {
        zones_.store(std::move(zones));
        generation_.fetch_add(1, std::memory_order_release);
    }
    std::shared_ptr<const ZoneSet> get() const { return zones_.load(); }
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    std::atomic<std::shared_ptr<const ZoneSet>> zones_;
    std::atomic<std::uint64_t> generation_{0};
};

}  // namespace mxlab::dns
