// LIST patterns (RFC 9051 section 6.3.9): "*" crosses levels, "%" does not, INBOX in any case.
#include <gtest/gtest.h>

#include "mail/imap/list_match.hpp"

namespace mxlab::imap {
namespace {

TEST(ListMatch, StarMatchesEveryLevelPercentOnlyOne) {
    EXPECT_TRUE(list_matches("*", "Lists/lab/2026"));
    EXPECT_TRUE(list_matches("%", "Sent"));
    EXPECT_FALSE(list_matches("%", "Lists/lab"));
    EXPECT_TRUE(list_matches("Lists/%", "Lists/lab"));
    EXPECT_FALSE(list_matches("Lists/%", "Lists/lab/2026"));
    EXPECT_TRUE(list_matches("Lists/*", "Lists/lab/2026"));
    EXPECT_TRUE(list_matches("*lab*", "Lists/lab/2026"));
    EXPECT_FALSE(list_matches("Sent", "Sent2"));
    EXPECT_TRUE(list_matches("S%t", "Sent"));
}

TEST(ListMatch, InboxInAnyCase) {
    EXPECT_TRUE(list_matches("inbox", "INBOX"));
    EXPECT_TRUE(list_matches("Inbox/%", "INBOX/work"));
    EXPECT_FALSE(list_matches("sent", "Sent"));  // other names are case-sensitive
}

TEST(ListMatch, ReferenceIsPrefixed) {
    EXPECT_EQ(list_pattern("", "%"), "%");
    EXPECT_EQ(list_pattern("Lists/", "%"), "Lists/%");
    EXPECT_EQ(list_pattern("Lists/", "/x"), "Lists/x");
}

TEST(ListMatch, WildcardRunsActAsTheirWidest) {
    EXPECT_TRUE(list_matches("%%", "Sent"));
    EXPECT_FALSE(list_matches("%%", "Lists/lab"));
    EXPECT_TRUE(list_matches("%*%", "Lists/lab"));
    EXPECT_FALSE(list_matches(std::string(60000, 'x'), "Sent"));  // more literal characters than the name: at once
}

TEST(ListMatch, ManyStarsStayCheap) {
    const std::string pattern(2000, '*');
    const std::string name(5000, 'a');
    EXPECT_TRUE(list_matches(pattern, name));
    EXPECT_FALSE(list_matches(pattern + "b", name));
}

}  // namespace
}  // namespace mxlab::imap
