// A zone's content as built from the config, before it is compiled into the answer table.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace mxlab::dns {

// One record; names and RDATA live in the zone's byte arena (one allocation
// for all records, so a 100,000-record zone builds fast).
struct RecordData {
    std::uint32_t owner = 0;  // offset in ZoneData::bytes of the lower-case wire owner
    std::uint32_t rdata = 0;  // offset of the wire RDATA (names in rdata_names() types lower-case)
    std::uint32_t ttl = 0;
    std::uint32_t seq = 0;  // written order: generated records first, then `records`
    std::uint16_t rdlen = 0;
    std::uint16_t type = 0;
    std::uint8_t owner_len = 0;
    bool generated = false;
};

struct ZoneData {
    std::string name;                // "sina.com"
    std::vector<std::uint8_t> apex;  // its wire name
    std::vector<std::uint8_t> bytes;
    // After zones_from_config: RRsets contiguous (same owner and type), owners
    // in canonical order (RFC 4034 6.1), at each owner the SOA first and then
    // the RRsets in written order; one TTL per RRset; no duplicate records.
    std::vector<RecordData> records;
    std::uint64_t content_hash = 0;  // of everything but the SOA serial
    std::uint32_t serial = 0;

    std::span<const std::uint8_t> owner(const RecordData& r) const { return {bytes.data() + r.owner, r.owner_len}; }
    std::span<const std::uint8_t> rdata(const RecordData& r) const { return {bytes.data() + r.rdata, r.rdlen}; }
    std::span<std::uint8_t> rdata(const RecordData& r) { return {bytes.data() + r.rdata, r.rdlen}; }
    bool same_rrset(const RecordData& a, const RecordData& b) const {
        return a.type == b.type && a.owner_len == b.owner_len &&
               (a.owner == b.owner || std::equal(owner(a).begin(), owner(a).end(), owner(b).begin()));
    }
};

// The zones of all [[domain]]s: generated records, `records` lines parsed with
// ldns, explicit RRsets replacing generated ones of the same owner and type,
// RFC 1034/2181 rules checked. Problems go to `errors` as "zone NAME: ...".
// The SOA serials are 0 (see set_serial).
std::vector<ZoneData> zones_from_config(const config::Config& cfg, std::vector<std::string>& errors);

// FNV-1a over the RRsets in canonical order (RRs sorted) with the SOA serial
// as 0, so that reordering `records` lines does not count as a change.
std::uint64_t content_hash(const ZoneData& zone);

void set_serial(ZoneData& zone, std::uint32_t serial);

}  // namespace mxlab::dns
