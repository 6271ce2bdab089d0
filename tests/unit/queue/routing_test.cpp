// MX answers turned into routes: preference order, our own host among the MX hosts (RFC 5321 section 5.1), null MX (RFC 7505).
#include <gtest/gtest.h>

#include "mail/queue/routing.hpp"

namespace mxlab::queue {
namespace {

config::IpAddr ip(const char* text) { return *config::IpAddr::parse(text); }

dns::MxHost host(std::string name, std::uint16_t pref, const char* address) {
    return dns::MxHost{std::move(name), pref, {ip(address)}};
}

Identity self() { return Identity{"mail.sina.com", {ip("127.0.1.10")}}; }

dns::MxResult ok(std::vector<dns::MxHost> hosts) {
    dns::MxResult r;
    r.status = dns::MxResult::Status::ok;
    r.hosts = std::move(hosts);
    return r;
}

TEST(Routing, HostsKeepTheResolversPreferenceOrder) {
    auto r = plan_route("bigsky.com", ok({host("mx1.bigsky.com", 10, "127.0.2.10"), host("mx2.bigsky.com", 20, "127.0.2.11")}), self());
    ASSERT_EQ(r.kind, Route::Kind::deliver);
    ASSERT_EQ(r.hosts.size(), 2u);
    EXPECT_EQ(r.hosts[0].name, "mx1.bigsky.com");
    EXPECT_EQ(r.hosts[1].name, "mx2.bigsky.com");
}

TEST(Routing, OurOwnHostAndLessPreferredOnesAreDropped) {
    // RFC 5321 section 5.1: "If the SMTP client finds itself among the MX hosts,
    // it MUST discard that and all less preferred (higher-numbered) records."
    auto r = plan_route("bigsky.com",
                        ok({host("mx1.bigsky.com", 5, "127.0.2.10"), host("backup.example", 10, "127.0.1.10"),
                            host("mx3.bigsky.com", 20, "127.0.2.12")}),
                        self());
    ASSERT_EQ(r.kind, Route::Kind::deliver);
    ASSERT_EQ(r.hosts.size(), 1u);
    EXPECT_EQ(r.hosts[0].name, "mx1.bigsky.com");
}

TEST(Routing, BeingTheBestMxIsALoopThatBounces) {
    // RFC 5321 section 5.1: no less preferred host may be tried; Postfix says "mail for ... loops back to myself".
    auto by_name = plan_route("bigsky.com", ok({host("mail.sina.com", 10, "192.0.2.1"), host("mx2.bigsky.com", 20, "127.0.2.11")}), self());
    EXPECT_EQ(by_name.kind, Route::Kind::bounce);
    EXPECT_EQ(by_name.status, "5.4.6");
    EXPECT_NE(by_name.text.find("loops back to myself"), std::string::npos);
    auto by_address = plan_route("bigsky.com", ok({host("other-name.example", 10, "127.0.1.10")}), self());
    EXPECT_EQ(by_address.kind, Route::Kind::bounce);
    EXPECT_EQ(by_address.status, "5.4.6");
}

TEST(Routing, LookupFailuresDeferOrBounce) {
    dns::MxResult r;
    r.detail = "timeout at 127.0.2.10:53";
    r.status = dns::MxResult::Status::temporary;
    EXPECT_EQ(plan_route("bigsky.com", r, self()).kind, Route::Kind::defer);
    EXPECT_EQ(plan_route("bigsky.com", r, self()).status[0], '4');
    r.status = dns::MxResult::Status::nxdomain;
    EXPECT_EQ(plan_route("bigsky.com", r, self()).kind, Route::Kind::bounce);
    EXPECT_EQ(plan_route("bigsky.com", r, self()).status, "5.1.2");
    r.status = dns::MxResult::Status::null_mx;  // RFC 7505 section 3: 556 5.1.10
    EXPECT_EQ(plan_route("bigsky.com", r, self()).status, "5.1.10");
    r.status = dns::MxResult::Status::no_hosts;
    EXPECT_EQ(plan_route("bigsky.com", r, self()).kind, Route::Kind::bounce);
}

TEST(Routing, IdentityTakesListenAddressesButNotWildcards) {
    config::Config cfg;
    cfg.appliance.hostname = "mail.sina.com";
    cfg.appliance.addresses = {ip("10.0.1.10")};
    cfg.appliance.listen = {ip("0.0.0.0"), ip("::"), ip("127.0.1.10")};
    auto id = identity_of(cfg);
    EXPECT_EQ(id.hostname, "mail.sina.com");
    ASSERT_EQ(id.addresses.size(), 2u);
    EXPECT_EQ(id.addresses[1], ip("127.0.1.10"));
}

}  // namespace
}  // namespace mxlab::queue
