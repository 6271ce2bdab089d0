// The lab config that the SMTP and POP3 session tests and the POP3 fuzz target load: sina.com with Bob and Jack, its aliases and a list.
//
// No gtest here, so that a libFuzzer target can use it too.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace mxlab::test {

// What a test may vary; the rest is the same lab for every suite.
struct Lab {
    std::string_view relay = "authenticated";  // [smtp] relay
    bool require_tls_for_auth = false;          // [tls] require_for_auth
};

// sina.com is ours; bigsky.com is somebody else's. Passwords: Bob/bob123, Jack/jack123.
inline std::string lab_toml(const Lab& lab = {}) {
    return std::string(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
listen = ["127.0.0.1"]
data_dir = "/tmp/mxlab-lab-test"
[tls]
require_for_auth = )") + (lab.require_tls_for_auth ? "true" : "false") + R"(
[smtp]
relay = ")" + std::string(lab.relay) + R"("
relay_networks = ["10.0.0.0/8"]
max_message_size = "10K"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "bob123"
Jack = "jack123"
[domain.aliases]
postmaster = "Bob"
bob-alias = "Bob"
staff = ["Bob", "Jack", "wfisk@bigsky.com"]
)";
}

// The lab's Config; nullptr when it does not load, with the diagnostics, one a line, in `errors`.
inline std::shared_ptr<const config::Config> load_lab(const Lab& lab, std::string& errors) {
    auto r = config::load_string(lab_toml(lab), "/etc/mxlab/test.toml");
    if (!r.ok()) {
        for (const auto& d : r.diagnostics) errors += config::format("test.toml", d) + "\n";
        return nullptr;
    }
    return std::make_shared<const config::Config>(std::move(*r.config));
}

}  // namespace mxlab::test
