// Tests for pop3::TopCut: a message cut chunk by chunk ends where the one-piece cut does, wherever the chunks split it.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/pop3/top.hpp"

namespace mxlab::pop3 {
namespace {

// Feeds `message` to a TopCut in pieces of `piece` bytes; returns the bytes it kept.
std::size_t cut_in_pieces(std::string_view message, std::uint64_t lines, std::size_t piece) {
    TopCut cut(lines);
    std::size_t kept = 0;
    for (std::size_t pos = 0; pos < message.size(); pos += piece) {
        const auto chunk = message.substr(pos, piece);
        const std::size_t n = cut.take(chunk);
        kept += n;
        if (n < chunk.size()) {
            EXPECT_TRUE(cut.done());
            EXPECT_EQ(cut.take("more\r\n"), 0u);
            break;
        }
    }
    return kept;
}

TEST(TopCut, EveryChunkSizeCutsWhereTheWholeMessageDoes) {
    const std::vector<std::string> messages = {
        "A: 1\r\nB: 2\r\n\r\nx\r\ny\r\nz\r\n",
        "A: 1\r\n\r\n\r\n\r\nbody\r\n",           // empty body lines count as lines
        "A: 1\r\nB: 2\r\n",                       // no body: all header
        "A: 1\n\nx\ny\n",                         // bare LF line ends
        "A: 1\r\n \r\n\r\nx\r\n",                 // a blank-but-not-empty line stays in the header
        "A: 1\r\n\r\nlast line without CRLF",
        "\r\nbody first\r\nsecond\r\n",           // empty header section
        "",
    };
    for (const auto& m : messages) {
        for (std::uint64_t lines : {0, 1, 2, 3, 10}) {
            const std::size_t whole = top_lines(m, lines);
            for (std::size_t piece = 1; piece <= m.size() + 1; ++piece) {
                EXPECT_EQ(cut_in_pieces(m, lines, piece), whole) << "message " << testing::PrintToString(m) << " lines " << lines
                                                                  << " piece " << piece;
            }
        }
    }
}

TEST(TopCut, CountsBodyLinesAfterTheBlankLine) {
    const std::string m = "S: x\r\n\r\n1\r\n2\r\n3\r\n";
    EXPECT_EQ(top_lines(m, 0), 8u);
    EXPECT_EQ(top_lines(m, 2), 14u);
    EXPECT_EQ(top_lines(m, 3), m.size());
    EXPECT_EQ(top_lines("A: 1\r\n \r\n\r\nx\r\n", 0), 11u);  // " \r\n" is not the end of the header
}

TEST(TopCut, ABigMessageIsNotReadPastTheCut) {
    TopCut cut(1);
    EXPECT_EQ(cut.take("Subject: big\r\n\r\nfirst\r\n"), 23u);
    EXPECT_TRUE(cut.done());
    EXPECT_EQ(cut.take(std::string(1 << 20, 'x')), 0u);
}

}  // namespace
}  // namespace mxlab::pop3
