// Tests for find_section: IMAP section numbers name the parts RFC 3501 section 6.4.5's example names.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mail/codec/mime.hpp"

namespace mxlab::codec {
namespace {

std::string example() {
    std::ifstream in(std::filesystem::path(MXLAB_SOURCE_DIR) / "tests/unit/codec/corpus/rfc3501_sections.eml",
                     std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// "TYPE/SUBTYPE" of the part a section names, "" for none.
std::string type_at(const MessageStructure& s, const std::vector<std::uint32_t>& numbers) {
    const auto i = find_section(s, numbers);
    return i ? s.parts[*i].type + "/" + s.parts[*i].subtype : "";
}

TEST(MimeSection, TheRfc3501Example) {
    const auto s = parse_mime(example());
    EXPECT_EQ(type_at(s, {}), "MULTIPART/MIXED");
    EXPECT_EQ(type_at(s, {1}), "TEXT/PLAIN");
    EXPECT_EQ(type_at(s, {2}), "APPLICATION/OCTET-STREAM");
    EXPECT_EQ(type_at(s, {3}), "MESSAGE/RFC822");
    EXPECT_EQ(type_at(s, {3, 1}), "TEXT/PLAIN");
    EXPECT_EQ(type_at(s, {3, 2}), "APPLICATION/OCTET-STREAM");
    EXPECT_EQ(type_at(s, {4}), "MULTIPART/MIXED");
    EXPECT_EQ(type_at(s, {4, 1}), "IMAGE/GIF");
    EXPECT_EQ(type_at(s, {4, 2}), "MESSAGE/RFC822");
    EXPECT_EQ(type_at(s, {4, 2, 1}), "TEXT/PLAIN");
    EXPECT_EQ(type_at(s, {4, 2, 2}), "MULTIPART/ALTERNATIVE");
    EXPECT_EQ(type_at(s, {4, 2, 2, 1}), "TEXT/PLAIN");
    EXPECT_EQ(type_at(s, {4, 2, 2, 2}), "TEXT/RICHTEXT");
    // The bytes BODY[4.2.2.2] returns.
    const std::string m = example();
    const auto& p = s.parts[*find_section(s, {4, 2, 2, 2})];
    EXPECT_EQ(m.substr(p.body_start, p.end - p.body_start), "4.2.2.2");
    // Sections that name nothing.
    for (const auto& bad : std::vector<std::vector<std::uint32_t>>{{0}, {5}, {1, 1}, {4, 3}, {4, 2, 3}, {4, 1, 1}}) {
        EXPECT_EQ(type_at(s, bad), "") << bad.size();
    }
}

TEST(MimeSection, ASinglePartMessageIsItsOwnPartOne) {
    const auto s = parse_mime("Subject: x\r\n\r\nbody\r\n");
    EXPECT_EQ(find_section(s, {1}), 0u);
    EXPECT_FALSE(find_section(s, {2}).has_value());
    EXPECT_FALSE(find_section(s, {1, 1}).has_value());
    // A message/rfc822 message: 1 is the embedded message, 1.1 its body.
    const auto t = parse_mime("Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n");
    EXPECT_EQ(find_section(t, {1}), 0u);
    EXPECT_EQ(find_section(t, {1, 1}), 1u);
}

}  // namespace
}  // namespace mxlab::codec
