// Recursion for the lab's PCs: who may recurse, what the responder hands the forwarder, replies made from upstream ones, the cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dns/cache.hpp"
#include "dns/forward.hpp"
#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

using ::testing::ElementsAre;

config::Cidr cidr(std::string_view text) { return *config::Cidr::parse(text); }

// The lab config, with the PCs of 10.0.1.0/24 and 10.0.2.0/24 allowed to recurse through 10.0.2.10.
config::Config recursive_config() {
    auto c = lab_config();
    c.dns.recursion = {cidr("10.0.1.0/24"), cidr("10.0.2.0/24")};
    c.dns.resolvers = {*config::Endpoint::parse("10.0.2.10")};
    return c;
}

class Recursion : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto r = build(recursive_config());
        ASSERT_TRUE(r.errors.empty()) << r.errors.front();
        zones_ = r.zones;
        auto plain = build(lab_config());
        ASSERT_TRUE(plain.errors.empty()) << plain.errors.front();
        plain_ = plain.zones;
    }
    static void TearDownTestSuite() {
        zones_.reset();
        plain_.reset();
    }
    static const ZoneSet& zs() { return *zones_; }
    static inline std::shared_ptr<const ZoneSet> zones_;
    static inline std::shared_ptr<const ZoneSet> plain_;
};

TEST_F(Recursion, AllowedOnlyInsideTheConfiguredNetworks) {
    EXPECT_TRUE(recursion_allowed(zs(), v4(10, 0, 1, 55)));
    EXPECT_TRUE(recursion_allowed(zs(), v4(10, 0, 2, 200)));
    EXPECT_FALSE(recursion_allowed(zs(), v4(10, 0, 3, 1)));
    EXPECT_FALSE(recursion_allowed(zs(), v4(127, 0, 0, 1)));
    EXPECT_FALSE(recursion_allowed(zs(), v6({0xfd00, 0x55})));
    // A dual-stack socket's view of an IPv4 client.
    EXPECT_TRUE(recursion_allowed(zs(), *config::IpAddr::parse("::ffff:10.0.1.55")));
    // Empty (the default): nobody, never an open resolver.
    EXPECT_FALSE(recursion_allowed(*plain_, v4(10, 0, 1, 55)));
}

TEST_F(Recursion, NeverForTheServerWeForwardTo) {
    // 10.0.2.10 is in 10.0.2.0/24, but its questions would come back to it.
    EXPECT_FALSE(recursion_allowed(zs(), v4(10, 0, 2, 10)));
}

TEST_F(Recursion, OtherDomainsGoToTheForwarderWithTheQuestionAsWritten) {
    Responder r;
    QueryOpts o;
    o.type = rrtype::MX;
    o.edns = true;
    o.id = 0xBEEF;
    const auto q = make_query("Example.ORG", o);
    EXPECT_TRUE(r.respond(zs(), q, {Transport::udp, v4(10, 0, 1, 55)}).empty());
    const ForwardQuery* f = r.forward_query();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->id, 0xBEEF);
    EXPECT_TRUE(f->rd());
    EXPECT_EQ(f->qname, wire_name("example.org"));
    EXPECT_EQ(std::vector<std::uint8_t>(f->question.begin(), f->question.end() - 4), wire_name("Example.ORG"));
    EXPECT_EQ(f->qtype, rrtype::MX);
    EXPECT_TRUE(f->edns);
    EXPECT_EQ(f->limit, 1232u);
    // The next query forgets it.
    r.respond(zs(), make_query("www.sina.com"), {Transport::udp, v4(10, 0, 1, 55)});
    EXPECT_EQ(r.forward_query(), nullptr);
}

TEST_F(Recursion, OthersAreRefusedAsBefore) {
    for (const auto& client : {v4(10, 0, 3, 1), v4(127, 0, 0, 1)}) {
        Responder r;
        const Reply reply = parse(r.respond(zs(), make_query("example.org"), {Transport::udp, client}));
        ASSERT_TRUE(reply.ok());
        EXPECT_EQ(reply.rcode(), rcode::refused);
        EXPECT_FALSE(reply.ra());
        EXPECT_EQ(r.forward_query(), nullptr);
    }
}

TEST_F(Recursion, OurZonesStayAuthoritativeWithRaForAllowedClients) {
    for (bool allowed : {true, false}) {
        Responder r;
        const auto client = allowed ? v4(10, 0, 1, 55) : v4(10, 0, 3, 1);
        for (const char* name : {"www.sina.com", "nope.sina.com"}) {  // precompiled and planned paths
            const Reply reply = parse(r.respond(zs(), make_query(name), {Transport::udp, client}));
            ASSERT_TRUE(reply.ok()) << name;
            EXPECT_TRUE(reply.aa()) << name;
            EXPECT_EQ(reply.ra(), allowed) << name;  // BIND: RA wherever recursion is available to the client
            EXPECT_EQ(r.forward_query(), nullptr);
        }
    }
}

// An upstream reply for `name`: our own authoritative answer (B serving bigsky.com), with an OPT.
std::vector<std::uint8_t> upstream(const ZoneSet& zones, std::string_view name, std::uint16_t type) {
    Responder r;
    QueryOpts o;
    o.type = type;
    o.edns = true;
    const auto s = r.respond(zones, make_query(name, o), {Transport::tcp, v4(127, 0, 0, 1)});
    return {s.begin(), s.end()};
}

ForwardQuery client_query(std::string_view name, std::uint16_t type, bool edns = true, std::size_t limit = 1232) {
    ForwardQuery q;
    q.id = 0x4242;
    q.keep = flag::rd;
    QueryOpts o;
    o.type = type;
    const auto bytes = make_query(name, o);
    q.question.assign(bytes.begin() + header_size, bytes.end());
    q.qname = *name_from_text(name);
    q.qtype = type;
    q.qclass = rrclass::IN;
    q.edns = edns;
    q.limit = limit;
    return q;
}

TEST_F(Recursion, ForwardedAnswerEchoesTheClientAndCountsTtlsDown) {
    const auto q = client_query("WWW.sina.COM", rrtype::A);
    const auto stored = store_reply(upstream(*plain_, "www.sina.com", rrtype::A), q);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->lifetime, 3600u);
    const Reply r = parse(client_reply(*stored, 100, q));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(get16(r.bytes.data()), 0x4242);
    EXPECT_TRUE(r.ra());
    EXPECT_TRUE(r.rd());
    EXPECT_FALSE(r.aa());  // not ours
    EXPECT_EQ(std::vector<std::uint8_t>(r.bytes.begin() + header_size, r.bytes.begin() + header_size + 14),
              wire_name("WWW.sina.COM"));
    EXPECT_THAT(r.answer(), ElementsAre("WWW.sina.COM. 3500 IN A 10.0.1.20"));
    // Names compressed against the question read in the client's case, as from an authoritative server.
    EXPECT_THAT(r.authority(), ElementsAre("sina.COM. 3500 IN NS mail.sina.COM."));
    EXPECT_EQ(r.additional().size(), 2u);
    EXPECT_TRUE(r.edns());  // ours, not the upstream's
    EXPECT_EQ(r.edns_payload(), 1232);
    // Without EDNS from the client, no OPT.
    EXPECT_FALSE(parse(client_reply(*stored, 0, client_query("www.sina.com", rrtype::A, false, 512))).edns());
}

TEST_F(Recursion, TtlsAreCapped) {
    const auto q = client_query("www.sina.com", rrtype::A);
    const auto stored = store_reply(upstream(*plain_, "www.sina.com", rrtype::A), q, {600, 60});
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->lifetime, 600u);
    EXPECT_THAT(parse(client_reply(*stored, 0, q)).answer(), ElementsAre("www.sina.com. 600 IN A 10.0.1.20"));
}

TEST_F(Recursion, NegativeAnswersLiveForTheSoaMinimum) {
    // RFC 2308 5: min(SOA TTL, SOA MINIMUM) = min(3600, 300), within the cap.
    const auto nx = client_query("nope.sina.com", rrtype::A);
    auto stored = store_reply(upstream(*plain_, "nope.sina.com", rrtype::A), nx);
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->rcode, rcode::nxdomain);
    EXPECT_EQ(stored->lifetime, 300u);
    const Reply r = parse(client_reply(*stored, 10, nx));
    EXPECT_EQ(r.rcode(), rcode::nxdomain);
    ASSERT_EQ(r.authority().size(), 1u);
    EXPECT_THAT(r.authority()[0], ::testing::StartsWith("sina.com. 290 IN SOA"));

    const auto nodata = client_query("www.sina.com", rrtype::MX);
    stored = store_reply(upstream(*plain_, "www.sina.com", rrtype::MX), nodata, {86400, 60});
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->rcode, rcode::noerror);
    EXPECT_EQ(stored->lifetime, 60u);  // capped
}

TEST_F(Recursion, ErrorsAreNotStored) {
    // REFUSED from upstream: no reply worth keeping (the forwarder tries the next server).
    Responder r;
    QueryOpts o;
    o.edns = true;
    const auto s = r.respond(*plain_, make_query("example.org", o), {Transport::tcp, v4(127, 0, 0, 1)});
    EXPECT_FALSE(store_reply({s.begin(), s.end()}, client_query("example.org", rrtype::A)));
    const Reply fail = parse(error_reply(client_query("Example.org", rrtype::A), rcode::servfail));
    EXPECT_EQ(fail.rcode(), rcode::servfail);
    EXPECT_TRUE(fail.ra());
    EXPECT_EQ(fail.qdcount(), 1);
}

TEST_F(Recursion, TooBigForTheClientDropsAdditionalThenSetsTc) {
    // 12 MX hosts with A and AAAA: the additional section does not fit in 512 bytes.
    auto q = client_query("mxs.sina.com", rrtype::MX, false, 512);
    auto stored = store_reply(upstream(*plain_, "mxs.sina.com", rrtype::MX), q);
    ASSERT_TRUE(stored);
    Reply r = parse(client_reply(*stored, 0, q));
    EXPECT_FALSE(r.tc());  // RFC 2181 9: only additional data left out
    EXPECT_EQ(r.answer().size(), 12u);
    EXPECT_TRUE(r.additional().empty());
    EXPECT_LE(r.bytes.size(), 512u);
    // 20 TXT strings of 60 bytes: the answer itself does not fit, so TC=1 and the client retries over TCP.
    q = client_query("big.sina.com", rrtype::TXT, true, 1232);
    stored = store_reply(upstream(*plain_, "big.sina.com", rrtype::TXT), q);
    ASSERT_TRUE(stored);
    r = parse(client_reply(*stored, 0, q));
    EXPECT_TRUE(r.tc());
    EXPECT_TRUE(r.answer().empty());
    EXPECT_EQ(r.qdcount(), 1);
    q.limit = max_message;  // TCP
    r = parse(client_reply(*stored, 0, q));
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.answer().size(), 20u);
}

// ---- the cache ----

struct FakeClock {
    DnsCache::Clock::time_point now{};
    DnsCache::Now fn() {
        return [this] { return now; };
    }
    void advance(int seconds) { now += std::chrono::seconds(seconds); }
};

std::shared_ptr<const StoredReply> reply_living(std::uint32_t seconds, std::size_t size = 100) {
    auto r = std::make_shared<StoredReply>();
    r->message.resize(size);
    r->lifetime = seconds;
    return r;
}

TEST(Cache, EntriesExpireWithTheirTtl) {
    FakeClock clock;
    DnsCache cache({}, clock.fn());
    cache.insert("a", reply_living(300));
    clock.advance(299);
    auto hit = cache.find("a");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->elapsed, 299u);  // what client_reply takes off every TTL
    clock.advance(1);
    EXPECT_FALSE(cache.find("a"));
    EXPECT_EQ(cache.size(), 0u);  // dropped, not kept around
}

TEST(Cache, ZeroTtlIsNotKept) {
    FakeClock clock;
    DnsCache cache({}, clock.fn());
    cache.insert("a", reply_living(0));
    EXPECT_FALSE(cache.find("a"));
    EXPECT_EQ(cache.size(), 0u);
}

TEST(Cache, BoundedInEntriesLeastRecentlyUsedFirst) {
    FakeClock clock;
    DnsCache cache({3, 1u << 20}, clock.fn());
    cache.insert("a", reply_living(60));
    cache.insert("b", reply_living(60));
    cache.insert("c", reply_living(60));
    EXPECT_TRUE(cache.find("a"));  // used: b is now the oldest
    cache.insert("d", reply_living(60));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.find("b"));
    EXPECT_TRUE(cache.find("a"));
    EXPECT_TRUE(cache.find("c"));
    EXPECT_TRUE(cache.find("d"));
    for (int i = 0; i < 1000; ++i) cache.insert("k" + std::to_string(i), reply_living(60));
    EXPECT_EQ(cache.size(), 3u);
}

TEST(Cache, BoundedInBytes) {
    FakeClock clock;
    DnsCache cache({1000, 64 * 1024}, clock.fn());
    for (int i = 0; i < 100; ++i) cache.insert("k" + std::to_string(i), reply_living(60, 16 * 1024));
    EXPECT_LE(cache.bytes(), 64u * 1024);
    EXPECT_LT(cache.size(), 4u);
    EXPECT_TRUE(cache.find("k99"));
}

TEST(Cache, ANewAnswerReplacesTheOld) {
    FakeClock clock;
    DnsCache cache({}, clock.fn());
    cache.insert("a", reply_living(10));
    clock.advance(5);
    cache.insert("a", reply_living(100));
    EXPECT_EQ(cache.size(), 1u);
    clock.advance(50);
    auto hit = cache.find("a");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->elapsed, 50u);
}

}  // namespace
}  // namespace mxlab::dns::test
