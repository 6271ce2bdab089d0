// Presentation (zone-file) format of records from the answer table, via ldns.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace mxlab::dns {

// "www.sina.com.\t3600\tIN\tA\t10.0.1.20" (no newline).
std::string rr_to_text(std::span<const std::uint8_t> owner, std::uint16_t type, std::uint32_t ttl,
                       std::span<const std::uint8_t> rdata);
// "10.0.1.20", "10 mail.sina.com.", "\"v=spf1 mx -all\"".
std::string rdata_to_text(std::uint16_t type, std::span<const std::uint8_t> rdata);

}  // namespace mxlab::dns
