// libFuzzer target: base64, PLAIN messages and whole PLAIN/LOGIN exchanges of mail/auth/sasl from arbitrary bytes.
//
// Besides not crashing, checks what must hold for any input: base64 is strict
// (whatever decodes re-encodes to the same text) and round-trips every byte
// string; a parsed PLAIN message rebuilds the input; a finished exchange
// carries non-empty credentials without NULs; an exchange always ends.
#include "mail/auth/sasl.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mxlab::auth::Credentials;
using mxlab::auth::Mechanism;
using mxlab::auth::SaslExchange;
using Kind = SaslExchange::Step::Kind;

void check(bool ok) {
    if (!ok) std::abort();
}

void check_credentials(const Credentials& c, Mechanism m) {
    check(!c.authcid.empty() && !c.password.empty());
    for (const auto* s : {&c.authzid, &c.authcid, &c.password}) check(s->find('\0') == std::string::npos);
    if (m == Mechanism::login) check(c.authzid.empty());
}

// First byte: bit 0 the mechanism, bit 1 whether the first line is an initial response.
// The rest: the client's lines, separated by '\n'.
void exchange(std::string_view input) {
    if (input.empty()) return;
    const auto m = (input[0] & 1) ? Mechanism::login : Mechanism::plain;
    const bool initial = input[0] & 2;
    input.remove_prefix(1);
    std::vector<std::string_view> lines;
    for (std::size_t start = 0;;) {
        const auto nl = input.find('\n', start);
        lines.push_back(input.substr(start, nl - start));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }
    SaslExchange x(m);
    std::size_t next = 0;
    auto s = initial ? x.start(lines[next++]) : x.start(std::nullopt);
    // PLAIN needs at most one reply, LOGIN two: a longer exchange is a bug.
    for (int replies = 0; s.kind == Kind::challenge; ++replies) {
        check(replies < 2 && mxlab::auth::base64_decode(s.challenge).has_value());
        if (next == lines.size()) return;
        s = x.step(lines[next++]);
    }
    if (s.kind == Kind::done) check_credentials(s.credentials, m);
    // Over is over, whatever the client sends next.
    check(x.step(next < lines.size() ? lines[next] : "").kind == Kind::malformed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    if (const auto decoded = mxlab::auth::base64_decode(input)) check(mxlab::auth::base64_encode(*decoded) == input);
    check(mxlab::auth::base64_decode(mxlab::auth::base64_encode(input)) == std::string(input));

    if (const auto c = mxlab::auth::parse_plain(input)) {
        check_credentials(*c, Mechanism::plain);
        check(c->authzid + '\0' + c->authcid + '\0' + c->password == input);
    }

    exchange(input);
    return 0;
}
