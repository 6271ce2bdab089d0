// IMAP response syntax pieces: flag lists in Dovecot's order, the shortest sequence sets, astrings.
#include <gtest/gtest.h>

#include "mail/imap/format.hpp"

namespace mxlab::imap {
namespace {

TEST(Format, FlagsInSystemOrderThenKeywordsThenRecent) {
    store::Flags f;
    f.system = store::flag_seen | store::flag_answered | store::flag_draft;
    f.keywords = {"$Forwarded", "work"};
    std::string out;
    append_flags(out, f, true);
    EXPECT_EQ(out, "(\\Answered \\Seen \\Draft $Forwarded work \\Recent)");
    out.clear();
    append_flags(out, {}, false);
    EXPECT_EQ(out, "()");
}

TEST(Format, SequenceSetsJoinRuns) {
    std::string out;
    append_sequence(out, {1, 2, 3, 5, 9, 10, 11, 12});
    EXPECT_EQ(out, "1:3,5,9:12");
    out.clear();
    append_sequence(out, {7});
    EXPECT_EQ(out, "7");
    out.clear();
    append_sequence(out, {});
    EXPECT_EQ(out, "");
}

TEST(Format, AstringsAreAtomsWhenTheyCanBe) {
    std::string out;
    append_astring(out, "INBOX");
    out += ' ';
    append_astring(out, "Lists/lab");
    out += ' ';
    append_astring(out, "My Mail");
    out += ' ';
    append_astring(out, "nil");
    out += ' ';
    append_astring(out, "");
    EXPECT_EQ(out, "INBOX Lists/lab \"My Mail\" \"nil\" \"\"");
}

}  // namespace
}  // namespace mxlab::imap
