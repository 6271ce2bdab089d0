// Test helpers: a message fed to MimeParser in pieces, and the check that every way of splitting it parses as parse_mime does.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {

inline std::string chunked(std::string_view m, std::size_t n, const MimeLimits& limits = {}, MimeWork* work = nullptr) {
    MimeParser p(limits);
    for (std::size_t i = 0; i < m.size(); i += n) p.feed(m.substr(i, n));
    return encode_structure(p.finish(work));
}

inline std::string at_random_splits(std::string_view m, std::mt19937& rng) {
    MimeParser p;
    std::size_t i = 0;
    while (i < m.size()) {
        const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 300)(rng);
        p.feed(m.substr(i, n));  // empty pieces too
        i += n;
    }
    return encode_structure(p.finish());
}

// Pieces of 1, 2, 7 and 4096 bytes, and five runs of random sizes (0 to 300).
inline void expect_same_in_pieces(std::string_view m) {
    const std::string whole = encode_structure(parse_mime(m));
    for (const std::size_t n : {1, 2, 7, 4096}) EXPECT_EQ(chunked(m, n), whole) << "pieces of " << n;
    std::mt19937 rng(static_cast<std::uint32_t>(m.size()));
    for (int round = 0; round < 5; ++round) EXPECT_EQ(at_random_splits(m, rng), whole) << "round " << round;
}

}  // namespace mxlab::codec
