// Tests for mail/net/http_probe: HTTP verbs are told from mail commands by the first bytes, however they are split.
#include "mail/net/http_probe.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxlab::mail::net {
namespace {

using V = HttpProbe::Verdict;

TEST(HttpProbe, HttpVerbs) {
    for (std::string line : {"GET / HTTP/1.1", "POST /x HTTP/1.1", "HEAD / HTTP/1.0", "CONNECT mail:25 HTTP/1.1", "PUT / HTTP/1.1",
                             "OPTIONS * HTTP/1.1", "DELETE / HTTP/1.1"})
        EXPECT_EQ(HttpProbe::judge(line), V::http) << line;
}

TEST(HttpProbe, MailCommands) {
    for (std::string line : {"EHLO client", "HELO x", "USER bob", "QUIT\r\n", "CAPA\r\n", "get / HTTP/1.1", "GETS x", "POSTMASTER",
                             "HEADER", "\r\n", "G\r\n", "PUTT", "A"})
        EXPECT_EQ(HttpProbe::judge(line), V::mail) << line;
}

// A verb cut by TCP anywhere stays undecided until it can be told, within max_head bytes.
TEST(HttpProbe, SplitVerbIsUndecided) {
    for (std::string line : {"GET ", "CONNECT ", "OPTIONS ", "POST "}) {
        for (std::size_t n = 0; n < line.size(); ++n) EXPECT_EQ(HttpProbe::judge(line.substr(0, n)), V::undecided) << line << n;
        EXPECT_LE(line.size(), HttpProbe::max_head);
    }
    EXPECT_EQ(HttpProbe::judge("P"), V::undecided);
    EXPECT_EQ(HttpProbe::judge("PO"), V::undecided);
    EXPECT_EQ(HttpProbe::judge("PA"), V::mail);  // PASS
}

}  // namespace
}  // namespace mxlab::mail::net
