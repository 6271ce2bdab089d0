// Golden IMAP dialogs (dialogs/*.txt, each citing the RFC sections it shows) played against the real server over a real store and a loopback socket.
//
// The dialog format is tests/unit/dialog_script.hpp's. Settings: "@message
// FILE" delivers FILE (under the source tree) to bob@sina.com before the
// client connects, in order (UIDs 1, 2, ...). A server line may hold "<any>",
// which matches any text (dates differ from run to run); "${UIDVALIDITY}" in
// any line is bob's INBOX's.
//
// MXLAB_DIALOG_RECORD=1 prints what the server answers instead (each client
// chunk's replies read until the server is quiet for 300 ms): a start for a
// new dialog, to be read line by line against the RFC before it is kept.
#include <gtest/gtest.h>
#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

#include "core/asio.hpp"
#include "mail/imap/server.hpp"
#include "tests/unit/dialog_script.hpp"
#include "tests/unit/server_over_store.hpp"

// GCC 12's false positive on Asio's coroutine frames (see dns/resolver.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace mxlab::imap {
namespace {

using store::test::to_users;

// "<any>" in `pattern` matches any run of characters.
bool line_matches(std::string_view pattern, std::string_view line) {
    const auto star = pattern.find("<any>");
    if (star == std::string_view::npos) return pattern == line;
    const std::string_view head = pattern.substr(0, star), rest = pattern.substr(star + 5);
    if (line.substr(0, head.size()) != head) return false;
    for (std::size_t i = head.size(); i <= line.size(); ++i)
        if (line_matches(rest, line.substr(i))) return true;
    return false;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The next line, or nothing when none comes within `ms` (Asio's blocking
// reads wait forever, whatever SO_RCVTIMEO says).
std::optional<std::string> line_within(test::LineClient& c, int ms) {
    for (;;) {
        auto data = c.buf.data();
        std::string_view have(static_cast<const char*>(data.data()), data.size());
        if (auto eol = have.find("\r\n"); eol != std::string_view::npos) {
            std::string l(have.substr(0, eol));
            c.buf.consume(eol + 2);
            return l;
        }
        pollfd p{c.sock.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return std::nullopt;
        boost::system::error_code ec;
        auto space = c.buf.prepare(16384);
        const std::size_t n = c.sock.read_some(space, ec);
        if (ec || n == 0) return std::nullopt;
        c.buf.commit(n);
    }
}

class ImapDialog : public test::ServerOverStore<Server, Port::imap>, public ::testing::WithParamInterface<std::filesystem::path> {};

TEST_P(ImapDialog, Plays) {
    const auto lines = test::read_lines(GetParam());
    for (const auto& l : lines) {
        if (l.rfind("@message ", 0) != 0) continue;
        const auto raw = read_file(std::filesystem::path(MXLAB_SOURCE_DIR) / l.substr(9));
        ASSERT_FALSE(raw.empty()) << l;
        ASSERT_TRUE(s().deliver(to_users({"bob@sina.com"}), raw).ok());
    }
    // "${UIDVALIDITY}" in any line is INBOX's, which differs from run to run (QRESYNC needs it typed).
    ASSERT_TRUE(s().ensure_user("bob@sina.com").ok());
    auto inbox = s().mailbox("bob@sina.com", "INBOX");
    ASSERT_TRUE(inbox.ok());
    const std::string uidvalidity = std::to_string(inbox->uidvalidity);
    auto c = connect();
    const bool record = std::getenv("MXLAB_DIALOG_RECORD") != nullptr;
    const int wait_ms = record ? 300 : 3000;

    // How many server lines each client chunk should bring: those up to the next client line.
    std::vector<std::string> transcript;
    auto read_lines = [&](std::size_t n) {
        if (record) n = 100000;
        for (std::size_t i = 0; i < n; ++i) {
            auto l = line_within(*c, wait_ms);
            if (!l) {
                if (!record) transcript.push_back("S! nothing more (timeout or closed)");
                return;
            }
            transcript.push_back("S: " + *l);
        }
    };
    std::vector<std::string> body;
    for (const auto& l : lines)
        if (!l.empty() && l[0] != '#' && l[0] != '@') {
            std::string line = l == "C:" ? "C: " : l;  // an empty line the client sends
            for (auto at = line.find("${UIDVALIDITY}"); at != std::string::npos; at = line.find("${UIDVALIDITY}"))
                line.replace(at, 14, uidvalidity);
            body.push_back(line);
        }
    // The greeting and anything before the first client line.
    std::size_t i = 0, pending = 0;
    while (i < body.size() && body[i].rfind("C", 0) != 0) ++pending, ++i;
    read_lines(pending);
    while (i < body.size()) {
        std::string chunk;
        while (i < body.size() && (body[i].rfind("C: ", 0) == 0 || body[i].rfind("C~ ", 0) == 0)) {
            transcript.push_back(body[i]);
            chunk += body[i].rfind("C: ", 0) == 0 ? body[i].substr(3) + "\r\n" : test::unescape(body[i].substr(3));
            ++i;
        }
        asio::write(c->sock, asio::buffer(chunk));
        pending = 0;
        while (i < body.size() && body[i].rfind("C", 0) != 0) ++pending, ++i;
        read_lines(pending);
    }
    if (record) {
        for (const auto& l : transcript) std::printf("%s\n", l.c_str());
        return;
    }
    bool same = transcript.size() == body.size();
    for (std::size_t k = 0; same && k < body.size(); ++k) same = line_matches(body[k], transcript[k]);
    EXPECT_TRUE(same) << test::transcript_diff(body, transcript);
}

INSTANTIATE_TEST_SUITE_P(Dialogs, ImapDialog, ::testing::ValuesIn(test::dialog_files("tests/unit/imap/dialogs")),
                         [](const auto& info) { return test::dialog_name(info.param); });

}  // namespace
}  // namespace mxlab::imap
