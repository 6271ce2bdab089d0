// Malformed queries: dropped or FORMERR/NOTIMP/REFUSED exactly as NSD 4.6 answers them, and never a crash.
#include <gtest/gtest.h>

#include <random>

#include "core/ldns.hpp"
#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

class Malformed : public ::testing::Test {
protected:
    static void SetUpTestSuite() { zones_ = build(lab_config()).zones; }
    static void TearDownTestSuite() { zones_.reset(); }

    std::vector<std::uint8_t> reply(const std::vector<std::uint8_t>& q, Transport t = Transport::udp) {
        const auto r = resp_.respond(*zones_, q, {t, v4(127, 0, 0, 1)});
        return {r.begin(), r.end()};
    }
    // flags word and the four counts of a reply.
    struct Head {
        std::uint16_t flags, qd, an, ns, ar;
        int rcode() const { return flags & 0xF; }
        bool rd() const { return flags & flag::rd; }
    };
    Head head(const std::vector<std::uint8_t>& r) {
        EXPECT_GE(r.size(), 12u);
        if (r.size() < 12) return {};
        return {get16(&r[2]), get16(&r[4]), get16(&r[6]), get16(&r[8]), get16(&r[10])};
    }
    static std::vector<std::uint8_t> header(std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                                            std::uint16_t ar) {
        std::vector<std::uint8_t> h(12);
        put16(&h[0], 0x1234);
        put16(&h[2], flags);
        put16(&h[4], qd);
        put16(&h[6], an);
        put16(&h[8], ns);
        put16(&h[10], ar);
        return h;
    }
    static std::vector<std::uint8_t> cat(std::vector<std::uint8_t> a, const std::vector<std::uint8_t>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }
    static inline std::shared_ptr<const ZoneSet> zones_;
    Responder resp_;
};

const std::vector<std::uint8_t> question = [] {
    auto n = wire_name("www.sina.com");
    n.insert(n.end(), {0, 1, 0, 1});
    return n;
}();
const std::vector<std::uint8_t> opt = {0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0};

TEST_F(Malformed, ShortOrResponseIsDropped) {
    EXPECT_TRUE(reply({}).empty());
    EXPECT_TRUE(reply({0x12, 0x34, 0x01, 0x00, 0x00, 0x01}).empty());
    EXPECT_TRUE(reply(cat(header(0x8100, 1, 0, 0, 0), question)).empty());  // QR=1
}

TEST_F(Malformed, QuestionCountOtherThanOne) {
    Head h = head(reply(header(0x0100, 0, 0, 0, 0)));
    EXPECT_EQ(h.rcode(), LDNS_RCODE_FORMERR);
    EXPECT_TRUE(h.rd());  // NSD keeps RD here...
    EXPECT_EQ(h.qd, 0);
    h = head(reply(cat(cat(header(0x0100, 2, 0, 0, 0), question), question)));
    EXPECT_EQ(h.rcode(), LDNS_RCODE_FORMERR);
    EXPECT_FALSE(h.rd());  // ... and clears it when a question was readable
    // QDCOUNT 0 with just an OPT: an EDNS probe, NOERROR with our OPT.
    const auto r = reply(cat(header(0x0100, 0, 0, 0, 1), opt));
    h = head(r);
    EXPECT_EQ(h.rcode(), 0);
    EXPECT_EQ(h.ar, 1);
    EXPECT_EQ(r.size(), 23u);
}

TEST_F(Malformed, BadQuestionNames) {
    // A compression pointer, a 64-byte label, a name past 255 bytes, a truncated name.
    std::vector<std::vector<std::uint8_t>> names = {{3, 'w', 'w', 'w', 0xC0, 0x0C, 0, 1, 0, 1}, {3, 'w', 'w'}};
    std::vector<std::uint8_t> l64 = {64};
    l64.insert(l64.end(), 64, 'a');
    l64.insert(l64.end(), {0, 0, 1, 0, 1});
    names.push_back(l64);
    std::vector<std::uint8_t> long_name;
    for (int i = 0; i < 4; ++i) {
        long_name.push_back(63);
        long_name.insert(long_name.end(), 63, 'a');
    }
    long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
    names.push_back(long_name);
    for (const auto& n : names) {
        const Head h = head(reply(cat(header(0x0100, 1, 0, 0, 0), n)));
        EXPECT_EQ(h.rcode(), LDNS_RCODE_FORMERR);
        EXPECT_EQ(h.qd, 0);
        EXPECT_TRUE(h.rd());
    }
}

TEST_F(Malformed, RecordsWhereAQueryHasNone) {
    EXPECT_EQ(head(reply(cat(header(0x0100, 1, 1, 0, 0), question))).rcode(), LDNS_RCODE_FORMERR);
    EXPECT_EQ(head(reply(cat(header(0x0100, 1, 0, 1, 0), question))).rcode(), LDNS_RCODE_FORMERR);
    EXPECT_EQ(head(reply(cat(header(0x0100, 1, 0, 0, 1), question))).rcode(), LDNS_RCODE_FORMERR);
    const std::vector<std::uint8_t> a_rr = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
    EXPECT_EQ(head(reply(cat(cat(header(0x0100, 1, 0, 0, 1), question), a_rr))).rcode(), LDNS_RCODE_FORMERR);
}

TEST_F(Malformed, BadOpt) {
    auto two = cat(cat(cat(header(0x0100, 1, 0, 0, 2), question), opt), opt);
    EXPECT_EQ(head(reply(two)).rcode(), LDNS_RCODE_FORMERR);
    auto not_root = opt;
    not_root.insert(not_root.begin(), {1, 'a'});
    not_root.erase(not_root.begin() + 2);
    EXPECT_EQ(head(reply(cat(cat(header(0x0100, 1, 0, 0, 1), question), not_root))).rcode(), LDNS_RCODE_FORMERR);
    auto bad_len = opt;
    put16(&bad_len[9], 12);
    bad_len.insert(bad_len.end(), {0, 10, 0, 9, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'});
    EXPECT_EQ(head(reply(cat(cat(header(0x0100, 1, 0, 0, 1), question), bad_len))).rcode(), LDNS_RCODE_FORMERR);
    auto cookie = opt;
    put16(&cookie[9], 12);
    cookie.insert(cookie.end(), {0, 10, 0, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'});
    EXPECT_EQ(head(reply(cat(cat(header(0x0100, 1, 0, 0, 1), question), cookie))).rcode(), 0);
}

TEST_F(Malformed, TrailingBytesAreFormerr) {
    // NSD ignores them; we refuse what is not a well-formed message.
    EXPECT_EQ(head(reply(cat(cat(header(0x0100, 1, 0, 0, 0), question), {0}))).rcode(), LDNS_RCODE_FORMERR);
}

TEST_F(Malformed, OpcodesAndFlags) {
    Head h = head(reply(cat(header(0x1100, 1, 0, 0, 0), question)));  // STATUS
    EXPECT_EQ(h.rcode(), LDNS_RCODE_NOTIMPL);
    EXPECT_EQ((h.flags >> 11) & 0xF, 2);
    EXPECT_EQ(h.qd, 0);
    h = head(reply(cat(header(0x2800, 1, 0, 0, 0), question)));  // UPDATE
    EXPECT_EQ(h.rcode(), LDNS_RCODE_NOTIMPL);
    h = head(reply(cat(header(0x2000, 1, 0, 0, 0), question)));  // NOTIFY: we are no secondary
    EXPECT_EQ(h.rcode(), LDNS_RCODE_REFUSED);
    EXPECT_TRUE(h.flags & flag::aa);
    h = head(reply(cat(header(0x0103, 1, 0, 0, 0), question)));  // RCODE set in a query
    EXPECT_EQ(h.rcode(), LDNS_RCODE_FORMERR);
    h = head(reply(cat(header(0x0770, 1, 0, 0, 0), question)));  // AA TC RD Z AD CD: ignored, only RD kept
    EXPECT_EQ(h.rcode(), 0);
    EXPECT_EQ(h.flags, flag::qr | flag::aa | flag::rd);
}

TEST_F(Malformed, OtherClassesAreRefused) {
    for (std::uint16_t cls : {rrclass::HS, rrclass::NONE, std::uint16_t{0}, std::uint16_t{77}}) {
        QueryOpts o;
        o.cls = cls;
        const Head h = head(reply(make_query("www.sina.com", o)));
        EXPECT_EQ(h.rcode(), LDNS_RCODE_REFUSED) << cls;
    }
}

TEST_F(Malformed, RandomBytesNeverCrash) {
    // The fuzz target does this at scale; here a quick deterministic pass
    // over random and mutated queries (run under ASan in build-dns-asan).
    std::mt19937 rng(42);
    std::vector<std::vector<std::uint8_t>> seeds;
    for (const char* n : {"www.sina.com", "ftp.sina.com", "a.wild.sina.com", "x.sub.sina.com", "nx.sina.com"}) {
        QueryOpts o;
        o.edns = true;
        seeds.push_back(make_query(n, o));
    }
    int answered = 0;
    for (int i = 0; i < 200000; ++i) {
        std::vector<std::uint8_t> q;
        if (i % 2 == 0) {
            q.resize(rng() % 64);
            for (auto& b : q) b = static_cast<std::uint8_t>(rng());
        } else {
            q = seeds[rng() % seeds.size()];
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int f = 0; f < flips; ++f) q[rng() % q.size()] = static_cast<std::uint8_t>(rng());
            if (rng() % 4 == 0) q.resize(rng() % (q.size() + 8), 0);
        }
        const Transport t = (i % 3 == 0) ? Transport::tcp : Transport::udp;
        const auto r = resp_.respond(*zones_, q, {t, v4(127, 0, 0, 1)});
        if (!r.empty()) {
            ++answered;
            ASSERT_GE(r.size(), 12u);
            ASSERT_LE(r.size(), t == Transport::udp ? 1232u : 65535u);
            ASSERT_EQ(get16(r.data()), get16(q.data()));  // the ID is echoed
        }
        while (resp_.transfer_in_progress()) resp_.next_transfer_message(*zones_);
    }
    EXPECT_GT(answered, 1000);
}

}  // namespace
}  // namespace mxlab::dns::test
