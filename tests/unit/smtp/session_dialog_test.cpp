// Golden SMTP dialogs (tests/unit/smtp/dialogs/*.txt) replayed against smtp::Session; each file cites the RFC sections it checks.
//
// File format: "# ..." comments; "@key value" settings first (@port mx|submission|smtps,
// @relay MODE, @client ADDRESS, @tls-active, @no-tls, @require-tls-for-auth,
// @max-recipients N, @log-refusals); then the dialog: "C: line" is sent with CRLF, "C~ text"
// is sent as written after unescaping \r \n \t \\ (no CRLF added), and
// consecutive C lines go out in one write (pipelining); "S: line" is a reply
// line we expect; "-- stored from=<..> local=.. remote=.." a message handed to
// the store, "-- tls" a TLS handshake, "-- closed" the end of the connection;
// with @log-refusals, "-- rejected stage=.. from=<..> to=<..> user=..
// reply=".."" is what the session reports for the server's log (Refusal),
// after the replies of the same read.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "session_driver.hpp"
#include "tests/unit/dialog_script.hpp"

namespace mxlab::smtp::test {
namespace {

namespace fs = std::filesystem;

class Dialog : public ::testing::TestWithParam<fs::path> {};

TEST_P(Dialog, MatchesGolden) {
    const auto lines = mxlab::test::read_lines(GetParam());
    ASSERT_FALSE(lines.empty()) << GetParam();
    Options opt;
    for (const auto& l : lines) {
        if (l.empty() || l[0] == '#') continue;
        if (l[0] == '@') {
            std::istringstream ss(l.substr(1));
            std::string key, value;
            ss >> key >> value;
            if (key == "port") opt.port = value == "submission" ? Port::submission : value == "smtps" ? Port::smtps : Port::mx;
            else if (key == "relay") opt.relay = value;
            else if (key == "client") opt.client = value;
            else if (key == "tls-active") opt.tls_active = true;
            else if (key == "no-tls") opt.tls_offered = false;
            else if (key == "require-tls-for-auth") opt.require_tls_for_auth = true;
            else if (key == "max-recipients") opt.max_recipients = std::stoul(value);
            else if (key == "log-refusals") opt.log_refusals = true;
            else FAIL() << "unknown setting " << l;
        }
    }
    Driver d(opt);
    const auto expected = mxlab::test::play(lines, d.transcript(), [&](const std::string& bytes) { d.send(bytes); });
    const auto& actual = d.transcript();
    EXPECT_EQ(expected, actual) << GetParam().filename() << ":\n" << mxlab::test::transcript_diff(expected, actual);
}

INSTANTIATE_TEST_SUITE_P(Smtp, Dialog, ::testing::ValuesIn(mxlab::test::dialog_files("tests/unit/smtp/dialogs")),
                         [](const auto& info) { return mxlab::test::dialog_name(info.param); });

}  // namespace
}  // namespace mxlab::smtp::test
