// The mail side's resolver against real servers on loopback: in-process authoritative servers and a second `mxlab serve`.
//
// Each check names the rule it holds the resolver to: DESIGN.md section 4
// "Mail-side lookups", RFC 5321 5.1 (MX, implicit MX), RFC 7505 (null MX),
// RFC 2308 (negative answers), RFC 1034 5.3.3 (referrals, CNAMEs), RFC 7766
// (TCP after TC=1), RFC 5452 9.1 (only our answer counts).
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "core/asio.hpp"
#include "core/log.hpp"
#include "dns/resolver.hpp"
#include "dns/zone_holder.hpp"
#include "loopback_dns.hpp"

namespace mxlab::dns::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Mode = LoopbackDns::Mode;

const config::IpAddr lo1 = v4(127, 0, 0, 1);
const config::IpAddr lo2 = v4(127, 0, 0, 2);

std::vector<std::string> strs(const std::vector<config::IpAddr>& v) {
    std::vector<std::string> out;
    for (const auto& a : v) out.push_back(a.str());
    return out;
}

// Runs one resolver call to completion on `io` (the test's only thread).
template <class T>
T run(asio::io_context& io, asio::awaitable<T> call) {
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(call), [&](std::exception_ptr e, T v) {
        error = e;
        if (!e) out = std::move(v);
    });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

// What the remote servers serve (each test starts the servers it needs).
std::shared_ptr<const ZoneSet> remote_zones() {
    std::vector<std::string> big;
    for (int i = 0; i < 40; ++i) {
        const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
        big.push_back("@ MX " + std::to_string(10 + i) + " host-with-a-rather-long-label-number-" + n);
        big.push_back("host-with-a-rather-long-label-number-" + n + " A 192.0.2." + std::to_string(100 + i));
    }
    return zones_of({
        {"bigsky.com", true, "mail.bigsky.com", {"mail A 127.0.2.10", "www A 10.0.2.20"}},
        {"implicit.test", false, "", {"@ A 192.0.2.1", "@ AAAA 2001:db8::1"}},
        {"nullmx.test", true, "", {"@ MX 0 ."}},
        {"big.test", false, "", big},
        {"example.net",
         false,
         "",
         {"sub NS ns.sub", "ns.sub A 127.0.0.2", "sub2 NS ns2.example.org.", "www CNAME www.example.org.",
          "alias CNAME implicit.test.", "txtonly TXT \"no mail here\"", "badmx MX 10 missing.example.net.",
          "halfmx MX 10 missing.example.net.", "halfmx MX 20 implicit.test."}},
    });
}

// Served by a second server (127.0.0.1, another port): another organisation.
std::shared_ptr<const ZoneSet> org_zones() {
    return zones_of({{"example.org", false, "", {"www A 192.0.2.80", "ns2 A 127.0.0.2"}}});
}

// Served on 127.0.0.2 (same port as the referring server): the delegated zones.
std::shared_ptr<const ZoneSet> delegated_zones() {
    return zones_of({
        {"sub.example.net", true, "mx.sub.example.net", {"mx A 127.0.0.25"}},
        {"sub2.example.net", false, "", {"www A 192.0.2.77"}},
        {"sub.sina.com", true, "mx.sub.sina.com", {"mx A 127.0.0.26"}},
    });
}

class ResolverTest : public ::testing::Test {
protected:
    ResolverTest() : log_(stderr, LogLevel::debug) {
        // This appliance's own zones: sina.com (MX mail.sina.com, a CNAME that
        // leaves our zones, a delegation whose glue is on 127.0.0.2), and two
        // domains for implicit and null MX.
        own_.set(zones_of(
            {
                {"sina.com",
                 true,
                 "mail.sina.com",
                 {"ext CNAME www.bigsky.com.", "sub NS ns.sub", "ns.sub A 127.0.0.2", "orphan MX 10 nowhere"}},
                {"lab.test", false, "", {"@ A 127.0.1.20"}},
                {"nomail.test", true, "", {"@ MX 0 ."}},
            },
            "mail.sina.com", {v4(127, 0, 1, 10)}));
    }

    static ResolverOptions fast() {
        ResolverOptions o;
        o.try_timeout = 300ms;
        o.total_timeout = 5s;
        return o;
    }

    std::unique_ptr<Resolver> resolver(std::vector<config::Endpoint> servers, ResolverOptions o = fast()) {
        auto r = std::make_unique<Resolver>(io_, own_, log_, o);
        r->set_servers(std::move(servers));
        return r;
    }

    MxResult mx(Resolver& r, std::string domain) { return run(io_, r.resolve_mx(std::move(domain))); }
    AddressResult addrs(Resolver& r, std::string host) { return run(io_, r.resolve_addresses(std::move(host))); }

    asio::io_context io_;
    ZoneHolder own_;
    Logger log_;
};

// ---- our own zones: no network ----

TEST_F(ResolverTest, OwnZoneMxWithoutNetwork) {
    auto r = resolver({});  // dns.resolvers empty: only our zones can answer
    MxResult m = mx(*r, "SINA.com.");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    ASSERT_EQ(m.hosts.size(), 1u);
    EXPECT_EQ(m.hosts[0].name, "mail.sina.com");
    EXPECT_EQ(m.hosts[0].preference, 10);
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.1.10"});
    EXPECT_EQ(m.detail, "MX of sina.com from our zones");
}

TEST_F(ResolverTest, OwnZoneImplicitNullAndNxdomain) {
    auto r = resolver({});
    MxResult implicit = mx(*r, "lab.test");  // RFC 5321 5.1
    ASSERT_EQ(implicit.status, MxResult::Status::ok) << implicit.detail;
    ASSERT_EQ(implicit.hosts.size(), 1u);
    EXPECT_EQ(implicit.hosts[0].name, "lab.test");
    EXPECT_EQ(implicit.hosts[0].preference, 0);
    EXPECT_EQ(strs(implicit.hosts[0].addresses), std::vector<std::string>{"127.0.1.20"});

    EXPECT_EQ(mx(*r, "nomail.test").status, MxResult::Status::null_mx);  // RFC 7505

    MxResult nx = mx(*r, "nope.sina.com");
    EXPECT_EQ(nx.status, MxResult::Status::nxdomain);
    EXPECT_EQ(nx.detail, "nope.sina.com: no such domain (NXDOMAIN from our zones)");

    MxResult orphan = mx(*r, "orphan.sina.com");  // the only MX host does not exist
    EXPECT_EQ(orphan.status, MxResult::Status::no_hosts) << orphan.detail;
    EXPECT_NE(orphan.detail.find("nowhere.sina.com"), std::string::npos) << orphan.detail;
}

TEST_F(ResolverTest, EmptyResolversDeferOtherDomains) {
    auto r = resolver({});
    MxResult m = mx(*r, "bigsky.com");
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_EQ(m.detail, "no resolver configured for bigsky.com (dns.resolvers is empty)");

    // A CNAME of ours that leaves our zones needs the network too.
    AddressResult a = addrs(*r, "ext.sina.com");
    EXPECT_EQ(a.status, AddressResult::Status::temporary);
    EXPECT_NE(a.detail.find("no resolver configured for www.bigsky.com (dns.resolvers is empty)"), std::string::npos)
        << a.detail;
}

TEST_F(ResolverTest, InvalidNamesArePermanent) {
    auto r = resolver({});
    EXPECT_EQ(mx(*r, "").status, MxResult::Status::nxdomain);
    EXPECT_EQ(mx(*r, "a..b").status, MxResult::Status::nxdomain);
    EXPECT_EQ(addrs(*r, std::string(300, 'a')).status, AddressResult::Status::nxdomain);
}

// ---- servers on the network ----

TEST_F(ResolverTest, MxFromTheAdditionalSection) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({s1.endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    ASSERT_EQ(m.hosts.size(), 1u);
    EXPECT_EQ(m.hosts[0].name, "mail.bigsky.com");
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.2.10"});
    EXPECT_EQ(m.detail, "MX of bigsky.com from " + s1.endpoint().str());
    EXPECT_EQ(s1.udp_queries(), 1);  // the host's A came with the MX, in bailiwick
}

TEST_F(ResolverTest, ImplicitMx) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({s1.endpoint()});
    MxResult m = mx(*r, "implicit.test");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    ASSERT_EQ(m.hosts.size(), 1u);
    EXPECT_EQ(m.hosts[0].name, "implicit.test");
    EXPECT_EQ(m.hosts[0].preference, 0);
    EXPECT_EQ(strs(m.hosts[0].addresses), (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));

    // Through a CNAME, the implicit MX is the CNAME's target (RFC 5321 5.1).
    MxResult alias = mx(*r, "alias.example.net");
    ASSERT_EQ(alias.status, MxResult::Status::ok) << alias.detail;
    EXPECT_EQ(alias.hosts[0].name, "implicit.test");
}

TEST_F(ResolverTest, NullMx) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({s1.endpoint()});
    MxResult m = mx(*r, "nullmx.test");
    EXPECT_EQ(m.status, MxResult::Status::null_mx);
    EXPECT_TRUE(m.hosts.empty());
    EXPECT_NE(m.detail.find("null MX"), std::string::npos) << m.detail;
}

TEST_F(ResolverTest, NxdomainAndNoHostsArePermanent) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({s1.endpoint()});
    MxResult nx = mx(*r, "nope.example.net");
    EXPECT_EQ(nx.status, MxResult::Status::nxdomain);
    EXPECT_EQ(nx.detail, "nope.example.net: no such domain (NXDOMAIN from " + s1.endpoint().str() + ")");

    MxResult none = mx(*r, "txtonly.example.net");  // no MX, no A/AAAA
    EXPECT_EQ(none.status, MxResult::Status::no_hosts) << none.detail;

    MxResult bad = mx(*r, "badmx.example.net");  // the MX host does not exist
    EXPECT_EQ(bad.status, MxResult::Status::no_hosts) << bad.detail;
    EXPECT_NE(bad.detail.find("missing.example.net"), std::string::npos) << bad.detail;

    // One host without an address is left out; the other is used (and named in the detail).
    MxResult half = mx(*r, "halfmx.example.net");
    ASSERT_EQ(half.status, MxResult::Status::ok) << half.detail;
    ASSERT_EQ(half.hosts.size(), 1u);
    EXPECT_EQ(half.hosts[0].name, "implicit.test");
    EXPECT_EQ(half.hosts[0].preference, 20);
    EXPECT_NE(half.detail.find("missing.example.net"), std::string::npos) << half.detail;
}

TEST_F(ResolverTest, DeadFirstServerThenSecond) {
    // A port nobody listens on: the ICMP port unreachable ends the try at once.
    const config::Endpoint dead{lo1, free_port({lo1})};
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({dead, s1.endpoint()});
    const auto start = Clock::now();
    MxResult m = mx(*r, "implicit.test");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    EXPECT_LT(Clock::now() - start, 250ms);
}

TEST_F(ResolverTest, SilentFirstServerTimesOutThenSecond) {
    LoopbackDns hole(remote_zones(), lo1, 0, Mode::blackhole);
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({hole.endpoint(), s1.endpoint()});
    const auto start = Clock::now();
    MxResult m = mx(*r, "implicit.test");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    const auto took = Clock::now() - start;
    EXPECT_GE(took, 300ms);  // the first server had its try
    EXPECT_LT(took, 600ms);  // once: the A and AAAA queries ask it last, after the one that answers
    EXPECT_EQ(hole.udp_queries(), 1);
}

TEST_F(ResolverTest, RefusedFirstServerThenSecond) {
    LoopbackDns org(org_zones(), lo1);  // not authoritative for implicit.test: REFUSED
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({org.endpoint(), s1.endpoint()});
    MxResult m = mx(*r, "implicit.test");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    EXPECT_EQ(org.udp_queries(), 3);  // MX, then A and AAAA of the implicit MX: each asked there first
}

TEST_F(ResolverTest, AllServersFailingIsTemporaryAndSaysWhere) {
    const config::Endpoint dead{lo1, free_port({lo1})};
    LoopbackDns org(org_zones(), lo1);
    auto r = resolver({dead, org.endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_EQ(m.detail, "bigsky.com MX: " + dead.str() + " connection refused; " + org.endpoint().str() + " REFUSED");
}

TEST_F(ResolverTest, TotalTimeIsBounded) {
    LoopbackDns hole1(remote_zones(), lo1, 0, Mode::blackhole);
    LoopbackDns hole2(remote_zones(), lo1, 0, Mode::blackhole);
    ResolverOptions o = fast();
    o.try_timeout = 200ms;
    o.total_timeout = 500ms;  // less than 2 rounds x 2 servers x 200 ms
    auto r = resolver({hole1.endpoint(), hole2.endpoint()}, o);
    const auto start = Clock::now();
    MxResult m = mx(*r, "bigsky.com");
    const auto took = Clock::now() - start;
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_NE(m.detail.find("timed out"), std::string::npos) << m.detail;
    EXPECT_GE(took, 450ms);
    EXPECT_LT(took, 1500ms);
}

TEST_F(ResolverTest, TimedOutServersAreAskedAgainAfterTheOthers) {
    // RFC 1035 4.2.1: the other servers first, then a second round.
    LoopbackDns hole(remote_zones(), lo1, 0, Mode::blackhole);
    auto r = resolver({hole.endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_EQ(hole.udp_queries(), 2);
}

TEST_F(ResolverTest, ForgedRepliesAreIgnored) {
    // Each real reply is preceded by one with a wrong ID and one with another question.
    LoopbackDns s1(remote_zones(), lo1, 0, Mode::spoof_first);
    auto r = resolver({s1.endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.2.10"});
}

TEST_F(ResolverTest, TruncatedReplyRetriedOverTcp) {
    LoopbackDns s1(remote_zones(), lo1);
    ResolverOptions o = fast();
    o.max_mx_hosts = 100;
    auto r = resolver({s1.endpoint()}, o);
    MxResult m = mx(*r, "big.test");  // 40 MX: more than 1232 bytes
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    ASSERT_EQ(m.hosts.size(), 40u);
    EXPECT_EQ(m.hosts.front().name, "host-with-a-rather-long-label-number-00.big.test");
    EXPECT_EQ(m.hosts.back().preference, 49);
    EXPECT_EQ(strs(m.hosts.back().addresses), std::vector<std::string>{"192.0.2.139"});
    EXPECT_EQ(s1.udp_queries(), 1);  // the TCP answer had every host's address
    EXPECT_EQ(s1.tcp_queries(), 1);
}

TEST_F(ResolverTest, ReferralFollowedOnTheSamePort) {
    // 127.0.0.1:P delegates sub.example.net to ns.sub.example.net = 127.0.0.2,
    // which is asked on P too (see dns/resolver.hpp for why the same port).
    const std::uint16_t port = free_port({lo1, lo2});
    LoopbackDns s1(remote_zones(), lo1, port);
    LoopbackDns s2(delegated_zones(), lo2, port);
    auto r = resolver({s1.endpoint()});
    MxResult m = mx(*r, "sub.example.net");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    ASSERT_EQ(m.hosts.size(), 1u);
    EXPECT_EQ(m.hosts[0].name, "mx.sub.example.net");
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.0.25"});
    EXPECT_EQ(m.detail, "MX of sub.example.net from 127.0.0.2:" + std::to_string(port));
    EXPECT_EQ(s1.udp_queries(), 1);
    EXPECT_EQ(s2.udp_queries(), 1);
}

TEST_F(ResolverTest, ReferralWithoutGlueLooksUpTheNsName) {
    // sub2.example.net NS ns2.example.org., which only the second resolver knows.
    const std::uint16_t port = free_port({lo1, lo2});
    LoopbackDns s1(remote_zones(), lo1, port);
    LoopbackDns s2(delegated_zones(), lo2, port);
    LoopbackDns org(org_zones(), lo1);
    auto r = resolver({s1.endpoint(), org.endpoint()});
    AddressResult a = addrs(*r, "www.sub2.example.net");
    ASSERT_EQ(a.status, AddressResult::Status::ok) << a.detail;
    EXPECT_EQ(strs(a.addresses), std::vector<std::string>{"192.0.2.77"});
}

TEST_F(ResolverTest, DelegationInOurOwnZone) {
    // sina.com (ours) delegates sub.sina.com to ns.sub.sina.com = 127.0.0.2.
    LoopbackDns s2(delegated_zones(), lo2);
    ResolverOptions o = fast();
    o.delegation_port = s2.port();
    auto r = resolver({}, o);  // no resolvers needed: the glue is ours
    MxResult m = mx(*r, "sub.sina.com");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    EXPECT_EQ(m.hosts[0].name, "mx.sub.sina.com");
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.0.26"});
}

TEST_F(ResolverTest, CnameToAnotherZoneOnAnotherServer) {
    // www.example.net CNAME www.example.org: the first server knows only the
    // CNAME; the query restarts for the target, which the second one answers.
    LoopbackDns s1(remote_zones(), lo1);
    LoopbackDns org(org_zones(), lo1);
    auto r = resolver({s1.endpoint(), org.endpoint()});
    AddressResult a = addrs(*r, "WWW.example.net");
    ASSERT_EQ(a.status, AddressResult::Status::ok) << a.detail;
    EXPECT_EQ(a.canonical, "www.example.org");
    EXPECT_EQ(strs(a.addresses), std::vector<std::string>{"192.0.2.80"});
}

TEST_F(ResolverTest, StoppedResolverSendsNothing) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({s1.endpoint()});
    r->stop();
    MxResult m = mx(*r, "bigsky.com");
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_EQ(m.detail, "bigsky.com MX: the resolver is stopping");
    EXPECT_EQ(s1.udp_queries(), 0);
}

TEST_F(ResolverTest, ServersChangeOnReload) {
    LoopbackDns s1(remote_zones(), lo1);
    auto r = resolver({});
    EXPECT_EQ(mx(*r, "bigsky.com").status, MxResult::Status::temporary);
    std::thread reload([&] { r->set_servers({s1.endpoint()}); });  // from another thread, as SIGHUP does
    reload.join();
    EXPECT_EQ(mx(*r, "bigsky.com").status, MxResult::Status::ok);
    EXPECT_EQ(r->servers(), std::vector<config::Endpoint>{s1.endpoint()});
}

TEST_F(ResolverTest, RunsOnAMultiThreadedIoContext) {
    // The appliance runs one io_context on every core; each exchange has its own strand.
    LoopbackDns s1(remote_zones(), lo1);
    LoopbackDns hole(remote_zones(), lo1, 0, Mode::blackhole);
    auto r = resolver({hole.endpoint(), s1.endpoint()});
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i)
        asio::co_spawn(io_, r->resolve_mx("bigsky.com"), [&](std::exception_ptr e, MxResult m) {
            if (!e && m.status == MxResult::Status::ok) ++ok;
        });
    std::vector<std::thread> pool;
    for (int i = 0; i < 4; ++i) pool.emplace_back([this] { io_.run(); });
    for (auto& t : pool) t.join();
    EXPECT_EQ(ok.load(), 8);
}

// ---- a second, real mxlab as the resolver (issue 3: "Resolver tests against a second started mxlab") ----

class SecondMxlab : public ResolverTest {
protected:
    static void SetUpTestSuite() {
        try {
            peer_ = std::make_unique<MxlabProcess>("mail.bigsky.com", "[\"127.0.2.10\"]", R"(
[[domain]]
name = "bigsky.com"
records = ["www A 10.0.2.20", "web CNAME www"]
[domain.users]
WFisk = "wfisk123"
)");
        } catch (const std::exception& e) {
            start_error_ = e.what();
        }
    }
    static void TearDownTestSuite() {
        if (peer_ && ::testing::UnitTest::GetInstance()->current_test_suite()->failed_test_count() > 0)
            std::fprintf(stderr, "the second mxlab's log:\n%s\n", peer_->log().c_str());
        peer_.reset();  // SIGTERM to its PID, SIGKILL if it hangs
    }

    void SetUp() override {
        ASSERT_TRUE(peer_) << "the second mxlab did not start: " << start_error_;
    }

    static std::unique_ptr<MxlabProcess> peer_;
    static std::string start_error_;
};
std::unique_ptr<MxlabProcess> SecondMxlab::peer_;
std::string SecondMxlab::start_error_;

TEST_F(SecondMxlab, BigskyMx) {
    auto r = resolver({peer_->endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail << "\n" << peer_->log();
    ASSERT_EQ(m.hosts.size(), 1u);
    EXPECT_EQ(m.hosts[0].name, "mail.bigsky.com");
    EXPECT_EQ(m.hosts[0].preference, 10);
    EXPECT_EQ(strs(m.hosts[0].addresses), std::vector<std::string>{"127.0.2.10"});
    EXPECT_EQ(m.detail, "MX of bigsky.com from " + peer_->endpoint().str());
}

TEST_F(SecondMxlab, AddressesThroughItsCname) {
    auto r = resolver({peer_->endpoint()});
    AddressResult a = addrs(*r, "web.bigsky.com");
    ASSERT_EQ(a.status, AddressResult::Status::ok) << a.detail;
    EXPECT_EQ(a.canonical, "www.bigsky.com");
    EXPECT_EQ(strs(a.addresses), std::vector<std::string>{"10.0.2.20"});
}

TEST_F(SecondMxlab, Nxdomain) {
    auto r = resolver({peer_->endpoint()});
    MxResult m = mx(*r, "nope.bigsky.com");
    EXPECT_EQ(m.status, MxResult::Status::nxdomain);
    EXPECT_EQ(m.detail, "nope.bigsky.com: no such domain (NXDOMAIN from " + peer_->endpoint().str() + ")");
    AddressResult a = addrs(*r, "nope.bigsky.com");
    EXPECT_EQ(a.status, AddressResult::Status::nxdomain);
}

TEST_F(SecondMxlab, OurCnameLeavesForIt) {
    auto r = resolver({peer_->endpoint()});
    AddressResult a = addrs(*r, "ext.sina.com");  // ext.sina.com. CNAME www.bigsky.com. in our zone
    ASSERT_EQ(a.status, AddressResult::Status::ok) << a.detail;
    EXPECT_EQ(a.canonical, "www.bigsky.com");
    EXPECT_EQ(strs(a.addresses), std::vector<std::string>{"10.0.2.20"});
}

TEST_F(SecondMxlab, DeadFirstResolverThenIt) {
    const config::Endpoint dead{lo1, free_port({lo1})};
    auto r = resolver({dead, peer_->endpoint()});
    MxResult m = mx(*r, "bigsky.com");
    ASSERT_EQ(m.status, MxResult::Status::ok) << m.detail;
    EXPECT_EQ(m.hosts[0].name, "mail.bigsky.com");
}

TEST_F(SecondMxlab, ItRefusesWhatItDoesNotServe) {
    auto r = resolver({peer_->endpoint()});
    MxResult m = mx(*r, "example.org");
    EXPECT_EQ(m.status, MxResult::Status::temporary);
    EXPECT_EQ(m.detail, "example.org MX: " + peer_->endpoint().str() + " REFUSED");
}

}  // namespace
}  // namespace mxlab::dns::test
