// The forwarder for the lab's PCs against real servers on loopback: coalescing, limits, failover, TCP after TC, spoofed replies.
#include <gtest/gtest.h>

#include <chrono>

#include "core/asio.hpp"
#include "core/log.hpp"
#include "dns/forwarder.hpp"
#include "dns/resolver_reply.hpp"
#include "dns/wire.hpp"
#include "loopback_dns.hpp"

namespace mxlab::dns::test {
namespace {

using namespace std::chrono_literals;
using Mode = LoopbackDns::Mode;

const config::IpAddr lo1 = v4(127, 0, 0, 1);

std::shared_ptr<const ZoneSet> upstream_zones() {
    std::vector<std::string> big;
    for (int i = 0; i < 40; ++i) big.push_back("@ MX " + std::to_string(i) + " host-with-a-rather-long-label-" + std::to_string(i));
    return zones_of({{"bigsky.com", true, "mail.bigsky.com", {"mail A 10.0.2.10", "www A 10.0.2.20", "a A 10.0.2.1",
                                                            "b A 10.0.2.2", "c A 10.0.2.3"}},
                     {"big.test", false, "", big}});
}

// A client's question as the responder hands it over (RD=1, EDNS, UDP).
ForwardQuery question(const std::string& name, std::uint16_t type, std::uint16_t id = 7) {
    ForwardQuery q;
    q.id = id;
    q.keep = flag::rd;
    q.qname = *name_from_text(name);
    q.question = q.qname;
    q.question.insert(q.question.end(), {std::uint8_t(type >> 8), std::uint8_t(type), 0, 1});
    q.qtype = type;
    q.qclass = rrclass::IN;
    q.edns = true;
    q.limit = 1232;
    return q;
}

client::Reply parsed(const std::vector<std::uint8_t>& bytes, const ForwardQuery& q) {
    auto p = client::parse_reply(bytes, {q.id, q.qname, q.qtype});
    EXPECT_EQ(p.status, client::ParsedReply::Status::ok) << p.error;
    return p.reply;
}

class ForwarderTest : public ::testing::Test {
protected:
    ForwarderTest() : log_(stderr, LogLevel::debug) {}

    std::unique_ptr<Forwarder> forwarder(std::vector<config::Endpoint> servers, ForwarderOptions o = {}) {
        o.try_timeout = 300ms;
        auto f = std::make_unique<Forwarder>(io_, log_, o);
        f->set_servers(std::move(servers));
        return f;
    }

    // Forwards and runs the io_context until the reply is in.
    std::vector<std::uint8_t> ask(Forwarder& f, const ForwardQuery& q) {
        if (auto now = f.answer_now(q)) return *now;
        std::vector<std::uint8_t> out;
        f.forward(q, [&](std::vector<std::uint8_t> r) { out = std::move(r); });
        io_.restart();
        io_.run();
        return out;
    }

    asio::io_context io_;
    Logger log_;
};

TEST_F(ForwarderTest, IdenticalQuestionsInFlightAreAskedOnce) {
    LoopbackDns b(upstream_zones(), lo1);
    auto f = forwarder({b.endpoint()});
    std::vector<std::vector<std::uint8_t>> replies(10);
    for (int i = 0; i < 10; ++i) {
        const auto q = question("bigsky.com", rrtype::MX, static_cast<std::uint16_t>(100 + i));
        f->forward(q, [&replies, i](std::vector<std::uint8_t> r) { replies[i] = std::move(r); });
    }
    io_.run();
    EXPECT_EQ(b.udp_queries(), 1);
    for (int i = 0; i < 10; ++i) {
        const auto r = parsed(replies[i], question("bigsky.com", rrtype::MX, static_cast<std::uint16_t>(100 + i)));
        EXPECT_EQ(r.rcode, rcode::noerror);
        EXPECT_TRUE(r.ra);
        EXPECT_FALSE(r.aa);
        ASSERT_EQ(r.answer.size(), 1u);
        EXPECT_EQ(r.answer[0].preference, 10);
    }
    // Then from the cache: no more queries.
    EXPECT_TRUE(f->answer_now(question("BigSky.com", rrtype::MX)));
    EXPECT_EQ(b.udp_queries(), 1);
}

TEST_F(ForwarderTest, PastTheInFlightBoundServfailAtOnce) {
    LoopbackDns dead(upstream_zones(), lo1, 0, Mode::blackhole);
    ForwarderOptions o;
    o.max_in_flight = 2;
    auto f = forwarder({dead.endpoint()}, o);
    int servfails_now = 0;
    for (const char* name : {"a.bigsky.com", "b.bigsky.com", "c.bigsky.com"}) {
        const auto q = question(name, rrtype::A);
        f->forward(q, [&, q](std::vector<std::uint8_t> r) {
            if (parsed(r, q).rcode == rcode::servfail) ++servfails_now;
        });
    }
    EXPECT_EQ(servfails_now, 1);  // the third, before anything ran
    io_.run();
    EXPECT_EQ(servfails_now, 3);  // the two others when the server did not answer
}

TEST_F(ForwarderTest, NoAnswerFromAnyServerIsServfailAndNotCached) {
    LoopbackDns dead(upstream_zones(), lo1, 0, Mode::blackhole);
    auto f = forwarder({dead.endpoint()});
    const auto q = question("www.bigsky.com", rrtype::A);
    EXPECT_EQ(parsed(ask(*f, q), q).rcode, rcode::servfail);
    EXPECT_EQ(f->cache().size(), 0u);
    EXPECT_FALSE(f->answer_now(q));
}

TEST_F(ForwarderTest, TimeoutOrRefusalMovesToTheNextServer) {
    LoopbackDns dead(upstream_zones(), lo1, 0, Mode::blackhole);
    LoopbackDns other(zones_of({{"example.org", false, "", {"www A 192.0.2.80"}}}), lo1);  // REFUSED for bigsky.com
    LoopbackDns b(upstream_zones(), lo1);
    auto f = forwarder({dead.endpoint(), other.endpoint(), b.endpoint()});
    const auto q = question("www.bigsky.com", rrtype::A);
    const auto r = parsed(ask(*f, q), q);
    EXPECT_EQ(r.rcode, rcode::noerror);
    ASSERT_EQ(r.answer.size(), 1u);
    EXPECT_EQ(r.answer[0].address->str(), "10.0.2.20");
    EXPECT_EQ(dead.udp_queries(), 1);
    EXPECT_EQ(other.udp_queries(), 1);
}

TEST_F(ForwarderTest, TruncatedUpstreamIsAskedAgainOverTcp) {
    LoopbackDns b(upstream_zones(), lo1);
    auto f = forwarder({b.endpoint()});
    auto q = question("big.test", rrtype::MX);
    q.limit = max_message;  // a TCP client
    const auto r = parsed(ask(*f, q), q);
    EXPECT_EQ(b.tcp_queries(), 1);
    EXPECT_FALSE(r.tc);
    EXPECT_EQ(r.answer.size(), 40u);
}

TEST_F(ForwarderTest, SpoofedRepliesAreIgnored) {
    LoopbackDns b(upstream_zones(), lo1, 0, Mode::spoof_first);
    auto f = forwarder({b.endpoint()});
    const auto q = question("www.bigsky.com", rrtype::A);
    const auto r = parsed(ask(*f, q), q);
    ASSERT_EQ(r.answer.size(), 1u);
    EXPECT_EQ(r.answer[0].address->str(), "10.0.2.20");
}

TEST_F(ForwarderTest, NoRecursionDesiredIsAnsweredFromTheCacheOnly) {
    LoopbackDns b(upstream_zones(), lo1);
    auto f = forwarder({b.endpoint()});
    auto q = question("www.bigsky.com", rrtype::A);
    q.keep = 0;  // RD=0
    auto now = f->answer_now(q);
    ASSERT_TRUE(now);
    EXPECT_EQ(parsed(*now, q).rcode, rcode::refused);
    q.keep = flag::rd;
    ask(*f, q);
    q.keep = 0;
    now = f->answer_now(q);
    ASSERT_TRUE(now);
    EXPECT_EQ(parsed(*now, q).answer.size(), 1u);
    EXPECT_EQ(b.udp_queries(), 1);
}

// Queries leave from the one address the appliance listens on, so the server
// asked (the other lab appliance) sees its own upstream asking; never a
// loopback source for a server elsewhere, and the kernel's choice otherwise.
TEST(Source, TheOneListenAddressOfTheServersFamily) {
    const config::IpAddr a = v4(127, 0, 1, 10), lan = v4(10, 0, 1, 10), any = v4(0, 0, 0, 0);
    const config::IpAddr v6 = *config::IpAddr::parse("fd00::10");
    const config::Endpoint b{v4(127, 0, 2, 10), 53}, remote{v4(10, 0, 2, 10), 53}, remote6{*config::IpAddr::parse("fd00::20"), 53};

    EXPECT_EQ(client::Source::from_listen({a}).for_server(b), a);
    EXPECT_EQ(client::Source::from_listen({a}).for_server(remote), std::nullopt);  // 127.0.1.10 cannot reach 10.0.2.10
    EXPECT_EQ(client::Source::from_listen({lan}).for_server(remote), lan);
    EXPECT_EQ(client::Source::from_listen({lan, v6}).for_server(remote6), v6);
    EXPECT_EQ(client::Source::from_listen({lan, v6}).for_server(remote), lan);
    EXPECT_EQ(client::Source::from_listen({lan, a}).for_server(remote), std::nullopt);  // two of a family: the kernel picks
    EXPECT_EQ(client::Source::from_listen({any, a}).for_server(b), std::nullopt);       // every address
    EXPECT_EQ(client::Source::from_listen({}).for_server(b), std::nullopt);
}

}  // namespace
}  // namespace mxlab::dns::test
