// Wire encoding of RRsets with name compression, and cutting replies down to the client's size (NSD's packet.c).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dns/answer.hpp"
#include "dns/wire.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

// Names already written in the message, by content (lower-case wire suffix),
// for compression pointers (RFC 1035 4.1.4). A small open-addressing table
// cleared in O(1) per message by bumping a generation number.
class Compressor {
public:
    void reset() {
        if (++gen_ == 0) {
            table_.fill({});
            gen_ = 1;
        }
        count_ = 0;
    }
    // Offset of a previous copy of this name in the message, or -1.
    int find(const std::uint8_t* name, std::size_t len, std::uint64_t hash) const {
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot& s = table_[i];
            if (s.gen != gen_) return -1;
            if (s.len == len && std::memcmp(s.name, name, len) == 0) return s.offset;
        }
    }
    // `name` must stay valid until reset(). Offsets past 0x3FFF cannot be pointed to.
    void insert(const std::uint8_t* name, std::size_t len, std::uint64_t hash, std::size_t offset) {
        if (offset > max_pointer_target || count_ >= slots / 2) return;
        std::size_t i = hash & mask;
        while (table_[i].gen == gen_) i = (i + 1) & mask;
        table_[i] = {name, gen_, static_cast<std::uint16_t>(offset), static_cast<std::uint8_t>(len)};
        ++count_;
    }
    // Registers every suffix of a name written at `offset`.
    void insert_all(const Name& name, std::size_t offset) {
        std::array<std::uint64_t, max_labels> h;
        suffix_hashes(name.bytes.data(), name.label_offsets.data(), name.labels - 1u, h.data());
        for (std::size_t l = 0; l + 1 < name.labels; ++l) {
            const auto s = name.suffix(l);
            insert(s.data(), s.size(), h[l], offset + name.label_offsets[l]);
        }
    }

    // Hashes of the suffixes starting at each of `labels` labels (the root
    // not counted), built from the right so that a name costs one pass.
    static void suffix_hashes(const std::uint8_t* name, const std::uint8_t* label_offsets, std::size_t labels,
                              std::uint64_t* out) {
        std::uint64_t h = 0x2545F4914F6CDD1Dull;
        for (std::size_t i = labels; i-- > 0;) {
            const std::uint8_t* l = name + label_offsets[i];
            h = (h ^ hash_bytes(l, l[0] + 1u)) * 0x9E3779B97F4A7C15ull;
            h ^= h >> 29;
            out[i] = h;
        }
    }

private:
    static constexpr std::size_t slots = 2048;
    static constexpr std::size_t mask = slots - 1;
    struct Slot {
        const std::uint8_t* name = nullptr;
        std::uint32_t gen = 0;
        std::uint16_t offset = 0;
        std::uint8_t len = 0;
    };
    std::array<Slot, slots> table_{};
    std::uint32_t gen_ = 1;
    std::size_t count_ = 0;
};

// Appends records to a message buffer. Checks room with the uncompressed
// size first, so a record (or RRset) is written whole or not at all and the
// compression table never points at bytes that were taken back.
class Writer {
public:
    Writer(std::uint8_t* buf, std::size_t cap, std::size_t pos, Compressor& c)
        : buf_(buf), cap_(cap), pos_(pos), c_(c) {}

    std::size_t pos() const { return pos_; }
    std::uint8_t* data() { return buf_; }

    // One RR; false (nothing written) when it would not fit.
    bool put_rr(const std::uint8_t* owner, std::size_t owner_len, std::uint16_t type, std::uint16_t rrclass,
                std::uint32_t ttl, std::span<const std::uint8_t> rdata);
    // All RRs of an RRset with this owner; false (nothing written) when they would not fit.
    bool put_rrset(const ZoneSet& zs, const std::uint8_t* owner, std::size_t owner_len, const ZoneSet::RRset& r);
    // Room for an RRset at worst (no compression).
    static std::size_t worst_size(std::size_t owner_len, const ZoneSet::RRset& r, const ZoneSet& zs);

private:
    void put_name(const std::uint8_t* name, std::size_t len, bool compress);

    std::uint8_t* buf_;
    std::size_t cap_;
    std::size_t pos_;
    Compressor& c_;
};

// A plan written after the question.
struct Encoded {
    std::uint16_t an = 0, ns = 0, ar = 0;
    std::size_t body_len = 0;
    bool incomplete = false;  // an answer or required authority RRset did not fit the buffer
    std::size_t cut_count = 0;
    std::array<ZoneSet::Cut, Plan::max_items> cuts;  // after each RRset; `end` relative to the body start
};
void encode_plan(const ZoneSet& zs, const Plan& plan, Writer& w, Encoded& out);

// How much of a body to send in `avail` bytes: all; or whole RRsets of the
// additional section left out (RFC 2181 9: no TC); or, for optional
// authority, the answer alone; else nothing with TC=1 (the client retries
// over TCP), as NSD does.
struct Fit {
    std::size_t len = 0;
    std::uint16_t an = 0, ns = 0, ar = 0;
    bool tc = false;
};
Fit fit_body(std::span<const ZoneSet::Cut> cuts, std::size_t body_len, std::uint16_t an, std::uint16_t ns,
             std::uint16_t ar, bool authority_required, bool incomplete, std::size_t avail);

}  // namespace mxlab::dns
