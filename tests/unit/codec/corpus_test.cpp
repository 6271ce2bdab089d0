// Golden files: each corpus/*.eml parses to the ENVELOPE, BODYSTRUCTURE and BODY in the .imap beside it, and survives the stored form.
//
// The .imap files were written by this test (MXLAB_UPDATE_GOLDEN=1) and then
// checked line by line against Dovecot 2.3's answers for the same messages
// (compare_dovecot.sh prints both); where they differ, corpus/README says
// why. A new shape: add its .eml, run once with MXLAB_UPDATE_GOLDEN=1, check.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mail/codec/imap_render.hpp"
#include "mail/codec/mime.hpp"
#include "tests/unit/codec/pieces.hpp"

namespace mxlab::codec {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string answers(const MessageStructure& s) {
    return "ENVELOPE " + render_envelope(s) + "\nBODYSTRUCTURE " + render_bodystructure(s, true) + "\nBODY " +
           render_bodystructure(s, false) + "\n";
}

std::vector<fs::path> corpus() {
    const fs::path dir = fs::path(MXLAB_SOURCE_DIR) / "tests/unit/codec/corpus";
    std::vector<fs::path> messages;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".eml") messages.push_back(e.path());
    }
    std::sort(messages.begin(), messages.end());
    return messages;
}

TEST(MimeCorpus, EveryMessageGivesItsCheckedInAnswers) {
    const bool update = std::getenv("MXLAB_UPDATE_GOLDEN") != nullptr;
    const auto messages = corpus();
    ASSERT_GE(messages.size(), 15u);
    for (const auto& m : messages) {
        SCOPED_TRACE(m.filename().string());
        const auto structure = parse_mime(read(m));
        const std::string got = answers(structure);
        auto golden = m;
        golden.replace_extension(".imap");
        if (update) {
            std::ofstream(golden, std::ios::binary) << got;
            continue;
        }
        ASSERT_TRUE(fs::exists(golden)) << "run with MXLAB_UPDATE_GOLDEN=1 and check " << golden;
        EXPECT_EQ(got, read(golden));
        // What the store keeps answers the same.
        const auto decoded = decode_structure(encode_structure(structure));
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(*decoded, structure);
        EXPECT_EQ(answers(*decoded), got);
    }
}

// The store parses a message as its chunks pass (MimeParser): however the
// bytes are split, the stored form is the one-view parse's, byte for byte.
TEST(MimeCorpus, EveryMessageInPiecesGivesTheOneViewParse) {
    const auto messages = corpus();
    ASSERT_GE(messages.size(), 15u);
    for (const auto& m : messages) {
        SCOPED_TRACE(m.filename().string());
        const std::string bytes = read(m);
        expect_same_in_pieces(bytes);
        // Bare LF line ends, as some clients send.
        std::string lf;
        for (const char c : bytes) {
            if (c != '\r') lf += c;
        }
        expect_same_in_pieces(lf);
    }
}

}  // namespace
}  // namespace mxlab::codec
