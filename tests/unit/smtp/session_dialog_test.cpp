// Golden SMTP dialogs (tests/unit/smtp/dialogs/*.txt) replayed against smtp::Session; each file cites the RFC sections it checks.
//
// File format: "# ..." comments; "@key value" settings first (@port mx|submission|smtps,
// @relay MODE, @client ADDRESS, @tls-active, @no-tls, @require-tls-for-auth,
// @max-recipients N); then the dialog: "C: line" is sent with CRLF, "C~ text"
// is sent as written after unescaping \r \n \t \\ (no CRLF added), and
// consecutive C lines go out in one write (pipelining); "S: line" is a reply
// line we expect; "-- stored from=<..> local=.. remote=.." a message handed to
// the store, "-- tls" a TLS handshake, "-- closed" the end of the connection.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "session_driver.hpp"

namespace mxlab::smtp::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> dialog_files() {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(MXLAB_SOURCE_DIR) / "tests/unit/smtp/dialogs"))
        if (e.path().extension() == ".txt") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\' || i + 1 == s.size()) {
            out += s[i];
            continue;
        }
        char c = s[++i];
        out += c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    return out;
}

class Dialog : public ::testing::TestWithParam<fs::path> {};

TEST_P(Dialog, MatchesGolden) {
    std::ifstream in(GetParam());
    ASSERT_TRUE(in) << GetParam();
    Options opt;
    std::vector<std::string> expected;
    std::vector<std::pair<std::string, std::string>> script;  // (transcript line, bytes to send) for C lines; ("", "") marks expectations
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
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
            else FAIL() << "unknown setting " << l;
        }
    }
    Driver d(opt);
    std::string chunk;
    auto flush = [&] {
        if (chunk.empty()) return;
        d.send(chunk);
        chunk.clear();
    };
    for (const auto& l : lines) {
        if (l.empty() || l[0] == '#' || l[0] == '@') continue;
        if (l.rfind("C: ", 0) == 0) {
            d.transcript().push_back(l);
            chunk += l.substr(3) + "\r\n";
        } else if (l.rfind("C~ ", 0) == 0) {
            d.transcript().push_back(l);
            chunk += unescape(l.substr(3));
        } else {
            flush();
        }
        expected.push_back(l);
    }
    flush();
    const auto& actual = d.transcript();
    std::string diff;
    for (std::size_t i = 0; i < std::max(expected.size(), actual.size()); ++i) {
        std::string e = i < expected.size() ? expected[i] : "<nothing>";
        std::string a = i < actual.size() ? actual[i] : "<nothing>";
        diff += (e == a ? "  " : "! ") + e + (e == a ? "" : "\n    got: " + a) + "\n";
    }
    EXPECT_EQ(expected, actual) << GetParam().filename() << ":\n" << diff;
}

INSTANTIATE_TEST_SUITE_P(Smtp, Dialog, ::testing::ValuesIn(dialog_files()), [](const auto& info) {
    std::string n = info.param.stem().string();
    std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return n;
});

}  // namespace
}  // namespace mxlab::smtp::test
