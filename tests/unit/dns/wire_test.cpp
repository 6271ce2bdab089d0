// Wire-format name helpers: parsing query names, text forms, zone membership, canonical order.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

TEST(Wire, ParseNameLowercasesAndRecordsLabels) {
    const auto w = wire_name("WwW.SiNa.CoM");
    Name n;
    ASSERT_EQ(parse_name(w, 0, n), w.size());
    EXPECT_EQ(n.len, 14);
    EXPECT_EQ(n.labels, 4);  // www, sina, com, root
    EXPECT_EQ(name_to_text(n.wire()), "www.sina.com.");
    EXPECT_EQ(name_to_text(n.suffix(1)), "sina.com.");
    EXPECT_EQ(name_to_text(n.suffix(3)), ".");
}

TEST(Wire, ParseNameRejectsWhatAQuestionCannotHold) {
    Name n;
    // RFC 1035 4.1.4 pointer, reserved label types 0x40/0x80, label > 63, name > 255, truncation.
    const std::vector<std::uint8_t> pointer = {3, 'w', 'w', 'w', 0xC0, 0x0C};
    EXPECT_EQ(parse_name(pointer, 0, n), 0u);
    EXPECT_EQ(parse_name(std::vector<std::uint8_t>{0x41, 0}, 0, n), 0u);
    EXPECT_EQ(parse_name(std::vector<std::uint8_t>{0x81, 0}, 0, n), 0u);
    std::vector<std::uint8_t> label64 = {64};
    label64.insert(label64.end(), 64, 'a');
    label64.push_back(0);
    EXPECT_EQ(parse_name(label64, 0, n), 0u);
    std::vector<std::uint8_t> long_name;
    for (int i = 0; i < 4; ++i) {
        long_name.push_back(63);
        long_name.insert(long_name.end(), 63, 'a');
    }
    long_name.push_back(0);  // 257 bytes
    EXPECT_EQ(parse_name(long_name, 0, n), 0u);
    long_name.erase(long_name.begin() + 193, long_name.begin() + 195);  // 255 bytes, last label 61
    long_name[192] = 61;
    EXPECT_EQ(parse_name(long_name, 0, n), 255u);
    EXPECT_EQ(parse_name(std::vector<std::uint8_t>{3, 'w', 'w'}, 0, n), 0u);
    EXPECT_EQ(parse_name(std::vector<std::uint8_t>{3, 'w', 'w', 'w'}, 0, n), 0u);  // no root
    EXPECT_EQ(parse_name(std::vector<std::uint8_t>{0}, 0, n), 1u);                 // the root
}

TEST(Wire, TextForms) {
    EXPECT_EQ(name_to_host(*name_from_text("Mail.Sina.com.")), "mail.sina.com");
    EXPECT_EQ(name_to_text(*name_from_text(".")), ".");
    EXPECT_FALSE(name_from_text("a..b"));
    EXPECT_FALSE(name_from_text(std::string(64, 'a') + ".com"));
    const std::vector<std::uint8_t> odd = {3, 'a', '.', 'b', 2, 0x01, ' ', 0};
    EXPECT_EQ(name_to_text(odd), "a\\.b.\\001\\032.");
}

TEST(Wire, NameInZoneWalksLabels) {
    const auto zone = *name_from_text("sina.com");
    EXPECT_TRUE(name_in_zone(*name_from_text("sina.com"), zone));
    EXPECT_TRUE(name_in_zone(*name_from_text("a.b.sina.com"), zone));
    EXPECT_FALSE(name_in_zone(*name_from_text("xsina.com"), zone));
    EXPECT_FALSE(name_in_zone(*name_from_text("com"), zone));
}

TEST(Wire, CanonicalOrderIsRfc4034) {
    // RFC 4034 6.1's example, lower case.
    std::vector<std::string> names = {"z.example",       "a.example",   "yljkjljk.a.example",
                                      "*.z.example",     "example",     "zabc.a.example",
                                      "\\001.z.example", "z.a.example", "\\200.z.example"};
    std::vector<std::vector<std::uint8_t>> wires;
    for (const auto& n : names) {
        std::vector<std::uint8_t> w;
        if (n.rfind("\\001.", 0) == 0) {
            w = {1, 1};
            const auto rest = *name_from_text(n.substr(5));
            w.insert(w.end(), rest.begin(), rest.end());
        } else if (n.rfind("\\200.", 0) == 0) {
            w = {1, 200};
            const auto rest = *name_from_text(n.substr(5));
            w.insert(w.end(), rest.begin(), rest.end());
        } else {
            w = *name_from_text(n);
        }
        wires.push_back(w);
    }
    std::sort(wires.begin(), wires.end(), [](const auto& a, const auto& b) { return canonical_compare(a, b) < 0; });
    std::vector<std::string> sorted;
    for (const auto& w : wires) sorted.push_back(name_to_text(w));
    EXPECT_EQ(sorted, (std::vector<std::string>{"example.", "a.example.", "yljkjljk.a.example.", "z.a.example.",
                                                "zabc.a.example.", "z.example.", "\\001.z.example.", "*.z.example.",
                                                "\\200.z.example."}));
}

}  // namespace
}  // namespace mxlab::dns::test
