// Looks up the hostname and MX hosts that no zone here answers for, for `mxlab check`.
#include "appliance/host_check.hpp"

#include <netdb.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dns/resolver.hpp"

namespace mxlab::appliance {

namespace {

constexpr std::size_t kMaxNames = 16;  // threads or queries at once; a config names a few

// Why a name has no address, or nothing when it has one.
struct Failure {
    std::string why;
    bool sure = false;  // the name or its address does not exist, rather than no answer came
};
using Outcome = std::optional<Failure>;

Failure no_answer(std::chrono::milliseconds budget) {
    return {"no answer within " + std::to_string((budget.count() + 999) / 1000) + " s", false};
}

// Through getaddrinfo, one thread per name: it cannot be cancelled, so a
// thread still waiting at the deadline is left behind (detached; `check`
// exits right after) rather than waited for.
std::vector<Outcome> system_lookup(const std::vector<std::string>& names, std::chrono::milliseconds budget) {
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::vector<std::optional<Outcome>> done;
    };
    auto state = std::make_shared<State>();
    state->done.resize(names.size());
    for (std::size_t i = 0; i < names.size(); ++i)
        std::thread([state, i, name = names[i]] {
            addrinfo hints{};
            hints.ai_socktype = SOCK_STREAM;
            addrinfo* res = nullptr;
            const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &res);
            if (res) ::freeaddrinfo(res);
            Outcome why;
            if (rc == EAI_NONAME || rc == EAI_NODATA) why = Failure{"no such name", true};
            else if (rc != 0) why = Failure{::gai_strerror(rc), false};
            std::lock_guard lock(state->mu);
            state->done[i] = std::move(why);
            state->cv.notify_all();
        }).detach();
    std::unique_lock lock(state->mu);
    state->cv.wait_for(lock, budget, [&] {
        return std::all_of(state->done.begin(), state->done.end(), [](auto& d) { return d.has_value(); });
    });
    std::vector<Outcome> out;
    for (auto& d : state->done) out.push_back(d ? *d : Outcome(no_answer(budget)));
    return out;
}

// Through dns::Resolver with dns.resolvers, as the queue would look them up.
std::vector<Outcome> resolver_lookup(const config::Config& cfg, const std::vector<std::string>& names,
                                     std::chrono::milliseconds budget) {
    asio::io_context io;
    dns::ZoneHolder zones;  // left empty: these names are in none of ours
    Logger quiet(stderr, LogLevel::error);
    dns::ResolverOptions options;
    options.total_timeout = budget;
    options.try_timeout = std::min(budget, options.try_timeout);
    options.rounds = 1;
    dns::Resolver resolver(io, zones, quiet, options);
    resolver.set_servers(cfg.dns.resolvers);
    std::vector<Outcome> out(names.size(), Outcome(no_answer(budget)));
    for (std::size_t i = 0; i < names.size(); ++i)
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                const auto r = co_await resolver.resolve_addresses(names[i]);
                using S = dns::AddressResult::Status;
                if (r.status == S::ok) out[i] = std::nullopt;
                else if (r.status == S::nxdomain) out[i] = Failure{"no such name", true};
                else if (r.status == S::no_address) out[i] = Failure{"it has no A or AAAA record", true};
                else out[i] = Failure{r.detail.empty() ? std::string("no answer") : r.detail, false};
            },
            asio::detached);
    // total_timeout ends each call; the margin only covers the last reply's handling.
    io.run_for(budget + std::chrono::milliseconds(500));
    resolver.stop();
    io.stop();
    return out;
}

}  // namespace

std::vector<config::Diagnostic> unresolved_hosts(const config::Config& cfg,
                                                 const std::vector<config::ForeignHost>& hosts,
                                                 std::chrono::milliseconds budget) {
    std::vector<config::Diagnostic> out;
    if (hosts.empty()) return out;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < hosts.size() && i < kMaxNames; ++i) names.push_back(hosts[i].name);
    const bool own = !cfg.dns.resolvers.empty();
    const auto outcomes = own ? resolver_lookup(cfg, names, budget) : system_lookup(names, budget);
    const std::string where = own ? "dns.resolvers" : "this machine's resolver";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (!outcomes[i]) continue;
        const auto& [why, sure] = *outcomes[i];
        out.push_back({config::Diagnostic::Severity::warning, hosts[i].pos, hosts[i].key,
                       names[i] + " is in no zone served here and does not resolve through " + where + " (" + why +
                           "): other mail servers " + (sure ? "cannot" : "may not") +
                           " reach it; check the spelling, or serve its zone here"});
    }
    return out;
}

}  // namespace mxlab::appliance
