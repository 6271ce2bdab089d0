// libFuzzer target: stored password values and login attempts against mail/auth/password.
//
// Input: "<stored>\n<password>". Checks that nothing crashes and that the three
// functions agree: a value that verifies is one check_stored_password accepts,
// and an empty stored value asks for a hash_password round trip.
#include "mail/auth/password.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

namespace {

// Settings whose cost is chosen by the input (rounds=, bcrypt's cost, yescrypt's
// and scrypt's N) can make one call take minutes by design; the fuzzer would
// report that as a timeout, not a bug, so those hashes are only parsed.
bool costly(std::string_view stored) {
    if (stored.starts_with('{')) {
        const auto close = stored.find('}');
        if (close != std::string_view::npos) stored.remove_prefix(close + 1);
    }
    if (stored.find("rounds=") != std::string_view::npos) return true;
    for (const std::string_view p : {"$2", "$y$", "$gy$", "$7$", "$md5", "$sha1$", "_"}) {
        if (stored.starts_with(p)) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const auto stored = input.substr(0, newline);
    const auto password = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);

    const auto scheme = mxlab::auth::password_scheme(stored);
    if (costly(stored)) return 0;

    const auto problem = mxlab::auth::check_stored_password(stored);
    const bool ok = mxlab::auth::verify_password(stored, password);
    if (ok && (!problem.empty() || scheme.empty() || password.empty())) std::abort();

    if (stored.empty() && !password.empty() && password.size() <= 64) {
        try {
            if (!mxlab::auth::verify_password(mxlab::auth::hash_password(password), password)) std::abort();
        } catch (const std::invalid_argument&) {
            // NUL in the password: refused by design.
        }
    }
    return 0;
}
