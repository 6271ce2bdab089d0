// Tests for mail/net/open_files: check's warning when [limits] cannot fit under the hard open-files limit, and the raise at start.
#include "mail/net/open_files.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

namespace mxlab::mail::net {
namespace {

std::shared_ptr<const config::Config> load(const std::string& extra) {
    auto r = config::load_string(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
data_dir = "/tmp/mxlab-open-files-test"
)" + extra + R"(
[[domain]]
name = "sina.com"
)",
                                 "/etc/mxlab/test.toml");
    EXPECT_TRUE(r.ok());
    return std::make_shared<const config::Config>(std::move(*r.config));
}

// Issue 14, item 7: the defaults (1000 SMTP + 2000 POP3, DNS on) need 3768 descriptors.
TEST(OpenFiles, WarnsWhenTheLimitsCannotFit) {
    auto cfg = load("");
    EXPECT_EQ(open_files_warning(*cfg, 65536), std::nullopt);
    EXPECT_EQ(open_files_warning(*cfg, 3768), std::nullopt);
    auto w = open_files_warning(*cfg, 1024);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->severity, config::Diagnostic::Severity::warning);
    EXPECT_EQ(w->key, "limits");
    EXPECT_NE(w->message.find("smtp_connections 1000 + pop3_connections 2000"), std::string::npos) << w->message;
    EXPECT_NE(w->message.find("hard limit is 1024"), std::string::npos) << w->message;
    EXPECT_TRUE(open_files_warning(*cfg, 3767));
}

TEST(OpenFiles, CountsOnlyTheServicesThatRun) {
    auto cfg = load("[services]\npop3 = false\ndns = false\n[limits]\nsmtp_connections = 700\n");
    EXPECT_EQ(open_files_warning(*cfg, 956), std::nullopt);
    EXPECT_TRUE(open_files_warning(*cfg, 955));
}

TEST(OpenFiles, RaisesTheSoftLimitToTheHardOne) {
    rlimit r{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &r), 0);
    rlimit lowered = r;
    lowered.rlim_cur = std::min<rlim_t>(r.rlim_max, 256);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
    const auto files = raise_open_files();
    EXPECT_EQ(files.was, lowered.rlim_cur);
    EXPECT_EQ(files.hard, r.rlim_max);
    EXPECT_EQ(files.soft, r.rlim_max);
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &r), 0);
    EXPECT_EQ(r.rlim_cur, r.rlim_max);
}

}  // namespace
}  // namespace mxlab::mail::net
