// MX answer -> hosts to try, with the RFC 5321 section 5.1 rule for our own host among them.
#include "mail/queue/routing.hpp"

#include <algorithm>
#include <limits>

namespace mxlab::queue {

namespace {

bool is_us(const dns::MxHost& host, const Identity& self) {
    if (host.name == self.hostname) return true;
    for (const auto& a : host.addresses) {
        if (std::find(self.addresses.begin(), self.addresses.end(), a) != self.addresses.end()) return true;
    }
    return false;
}

Route fail(Route::Kind kind, std::string status, std::string text) {
    Route r;
    r.kind = kind;
    r.status = std::move(status);
    r.text = std::move(text);
    return r;
}

}  // namespace

Identity identity_of(const config::Config& cfg) {
    Identity id;
    id.hostname = cfg.appliance.hostname;
    id.addresses = cfg.appliance.addresses;
    for (const auto& a : cfg.appliance.listen) {
        if (!a.is_unspecified()) id.addresses.push_back(a);
    }
    return id;
}

Route plan_route(const std::string& domain, const dns::MxResult& mx, const Identity& self) {
    using S = dns::MxResult::Status;
    switch (mx.status) {
    case S::temporary:
        return fail(Route::Kind::defer, "4.4.3", "Host or domain name lookup failed for " + domain + ": " + mx.detail);
    case S::nxdomain:
        return fail(Route::Kind::bounce, "5.1.2", "Host or domain name not found: " + domain + " (" + mx.detail + ")");
    case S::null_mx:
        return fail(Route::Kind::bounce, "5.1.10", "Domain " + domain + " does not accept mail (null MX, RFC 7505)");
    case S::no_hosts:
        return fail(Route::Kind::bounce, "5.4.4", "No mail host for " + domain + " has an address (" + mx.detail + ")");
    case S::ok: break;
    }
    // RFC 5321 section 5.1: drop our own preference level and everything less preferred.
    int ours = std::numeric_limits<int>::max();
    for (const auto& h : mx.hosts) {
        if (is_us(h, self)) ours = std::min<int>(ours, h.preference);
    }
    Route r;
    r.kind = Route::Kind::deliver;
    for (const auto& h : mx.hosts) {
        if (h.preference < ours) r.hosts.push_back(h);
    }
    if (r.hosts.empty()) {
        return fail(Route::Kind::bounce, "5.4.6",
                    "mail for " + domain + " loops back to myself (" + self.hostname + " is its best MX host)");
    }
    return r;
}

}  // namespace mxlab::queue
