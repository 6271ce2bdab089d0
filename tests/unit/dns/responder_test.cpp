// Answers to well-formed queries: each check names its DESIGN.md/RFC rule; expected sections are NSD 4.6's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/ldns.hpp"
#include "dns/wire.hpp"
#include "dns_test_util.hpp"

namespace mxlab::dns::test {
namespace {

using ::testing::ElementsAre;

class Answers : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto r = build(lab_config());
        ASSERT_TRUE(r.errors.empty()) << r.errors.front();
        zones_ = r.zones;
    }
    static void TearDownTestSuite() { zones_.reset(); }
    static const ZoneSet& zs() { return *zones_; }
    static inline std::shared_ptr<const ZoneSet> zones_;
};

const std::string ns_sina = "sina.com. 3600 IN NS mail.sina.com.";
const std::string mail_a = "mail.sina.com. 3600 IN A 10.0.1.10";
const std::string mail_aaaa = "mail.sina.com. 3600 IN AAAA fd00::10";
const std::string soa_neg = "sina.com. 300 IN SOA mail.sina.com. hostmaster.sina.com. 2025010100 3600 900 604800 300";

TEST_F(Answers, PositiveAnswerHasApexNsInAuthorityAndTheirAddressesInAdditional) {
    // DESIGN.md 4: AA=1, apex NS in authority, A/AAAA of in-zone NS hosts in additional.
    const Reply r = ask(zs(), "www.sina.com");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_TRUE(r.aa());
    EXPECT_FALSE(r.tc());
    EXPECT_TRUE(r.rd());   // copied
    EXPECT_FALSE(r.ra());  // no recursion
    EXPECT_THAT(r.answer(), ElementsAre("www.sina.com. 3600 IN A 10.0.1.20"));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
    EXPECT_THAT(r.additional(), ElementsAre(mail_a, mail_aaaa));
    EXPECT_FALSE(r.edns());  // no OPT without EDNS in the query
}

TEST_F(Answers, RdIsCopiedNotSet) {
    QueryOpts o;
    o.rd = false;
    EXPECT_FALSE(ask(zs(), "www.sina.com", o).rd());
}

TEST_F(Answers, GeneratedMailRecords) {
    // DESIGN.md 3: MX 10 <mx>. and TXT "v=spf1 mx -all" with mail = true.
    QueryOpts o;
    o.type = rrtype::MX;
    Reply r = ask(zs(), "sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("sina.com. 3600 IN MX 10 mail.sina.com."));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
    EXPECT_THAT(r.additional(), ElementsAre(mail_a, mail_aaaa));
    o.type = rrtype::TXT;
    r = ask(zs(), "sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("sina.com. 3600 IN TXT \"v=spf1 mx -all\""));
    o.type = rrtype::SOA;
    r = ask(zs(), "sina.com", o);
    EXPECT_THAT(
        r.answer(),
        ElementsAre("sina.com. 3600 IN SOA mail.sina.com. hostmaster.sina.com. 2025010100 3600 900 604800 300"));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
}

TEST_F(Answers, NsAtApexIsNotRepeatedInAuthority) {
    // NSD: an RRset is in one section only.
    QueryOpts o;
    o.type = rrtype::NS;
    const Reply r = ask(zs(), "sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre(ns_sina));
    EXPECT_TRUE(r.authority().empty());
    EXPECT_THAT(r.additional(), ElementsAre(mail_a, mail_aaaa));
}

TEST_F(Answers, AnswerRecordIsNotRepeatedInAdditional) {
    const Reply r = ask(zs(), "mail.sina.com");
    EXPECT_THAT(r.answer(), ElementsAre(mail_a));
    EXPECT_THAT(r.additional(), ElementsAre(mail_aaaa));
}

TEST_F(Answers, NxdomainCarriesSoaWithNegativeTtl) {
    // RFC 2308 3: SOA in authority, TTL min(SOA TTL, MINIMUM) = 300.
    const Reply r = ask(zs(), "nx.sina.com");
    EXPECT_EQ(r.rcode(), LDNS_RCODE_NXDOMAIN);
    EXPECT_TRUE(r.aa());
    EXPECT_TRUE(r.answer().empty());
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
    EXPECT_TRUE(r.additional().empty());
}

TEST_F(Answers, NodataCarriesSoa) {
    QueryOpts o;
    o.type = rrtype::MX;
    const Reply r = ask(zs(), "www.sina.com", o);
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_TRUE(r.aa());
    EXPECT_TRUE(r.answer().empty());
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
}

TEST_F(Answers, EmptyNonTerminalIsNodataNotNxdomain) {
    // RFC 4592 2.2.2: b.c.sina.com exists because a.b.c.sina.com does.
    for (const char* name : {"b.c.sina.com", "c.sina.com", "wild.sina.com"}) {
        const Reply r = ask(zs(), name);
        EXPECT_EQ(r.rcode(), 0) << name;
        EXPECT_THAT(r.authority(), ElementsAre(soa_neg)) << name;
    }
}

TEST_F(Answers, CnameChainInTheSameZone) {
    const Reply r = ask(zs(), "ftp.sina.com");
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(),
                ElementsAre("ftp.sina.com. 3600 IN CNAME www.sina.com.", "www.sina.com. 3600 IN A 10.0.1.20"));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
    EXPECT_THAT(r.additional(), ElementsAre(mail_a, mail_aaaa));
}

TEST_F(Answers, CnameToNodataHasSoaOfTheTarget) {
    QueryOpts o;
    o.type = rrtype::MX;
    const Reply r = ask(zs(), "ftp.sina.com", o);
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_THAT(r.answer(), ElementsAre("ftp.sina.com. 3600 IN CNAME www.sina.com."));
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
}

TEST_F(Answers, QtypeCnameReturnsTheCnameOnly) {
    QueryOpts o;
    o.type = rrtype::CNAME;
    const Reply r = ask(zs(), "ftp.sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("ftp.sina.com. 3600 IN CNAME www.sina.com."));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
}

TEST_F(Answers, CnameChainAcrossZonesTakesAuthorityFromTheLastZone) {
    const Reply r = ask(zs(), "ext.sina.com");
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(),
                ElementsAre("ext.sina.com. 3600 IN CNAME www.bigsky.com.", "www.bigsky.com. 3600 IN A 10.0.2.20"));
    EXPECT_THAT(r.authority(), ElementsAre("bigsky.com. 3600 IN NS mail.sina.com."));
    EXPECT_TRUE(r.additional().empty());  // mail.sina.com is not in bigsky.com
}

TEST_F(Answers, CnameOutOfOurZonesEndsTheAnswer) {
    const Reply r = ask(zs(), "out.sina.com");
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(), ElementsAre("out.sina.com. 3600 IN CNAME www.example.org."));
    EXPECT_TRUE(r.authority().empty());
}

TEST_F(Answers, CnameLoopStops) {
    const Reply r = ask(zs(), "loop1.sina.com");
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_THAT(r.answer(), ElementsAre("loop1.sina.com. 3600 IN CNAME loop2.sina.com.",
                                        "loop2.sina.com. 3600 IN CNAME loop1.sina.com."));
}

TEST_F(Answers, LongCnameChainIsCapped) {
    config::Config c = lab_config();
    for (int i = 0; i < 12; ++i)
        c.domains[0].records.push_back({"c" + std::to_string(i) + " CNAME c" + std::to_string(i + 1), {}});
    c.domains[0].records.push_back({"c12 A 10.9.9.9", {}});
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty());
    const Reply r = ask(*b.zones, "c0.sina.com");
    EXPECT_EQ(r.answer().size(), 8u);  // Plan::max_chain CNAMEs, then stop
    EXPECT_EQ(r.rcode(), 0);
}

TEST_F(Answers, WildcardSynthesizesWithTheQueryName) {
    // RFC 4592 3.3.1: owner is the query name.
    Reply r = ask(zs(), "a.wild.sina.com");
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(), ElementsAre("a.wild.sina.com. 3600 IN A 10.0.1.99"));
    EXPECT_THAT(r.authority(), ElementsAre(ns_sina));
    r = ask(zs(), "x.y.z.wild.sina.com");
    EXPECT_THAT(r.answer(), ElementsAre("x.y.z.wild.sina.com. 3600 IN A 10.0.1.99"));
    QueryOpts o;
    o.type = rrtype::TXT;
    r = ask(zs(), "b.wild.sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("b.wild.sina.com. 3600 IN TXT \"wild\""));
}

TEST_F(Answers, WildcardNodataAndLiteralStar) {
    QueryOpts o;
    o.type = rrtype::MX;
    Reply r = ask(zs(), "a.b.wild.sina.com", o);
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
    r = ask(zs(), "*.wild.sina.com");
    EXPECT_THAT(r.answer(), ElementsAre("*.wild.sina.com. 3600 IN A 10.0.1.99"));
}

TEST_F(Answers, WildcardDoesNotApplyBelowAnExistingName) {
    // RFC 4592 2.2.1: the closest encloser of x.www.sina.com is www, which has no "*" child.
    const Reply r = ask(zs(), "x.www.sina.com");
    EXPECT_EQ(r.rcode(), LDNS_RCODE_NXDOMAIN);
}

TEST_F(Answers, CnameToWildcard) {
    const Reply r = ask(zs(), "wc.sina.com");
    EXPECT_THAT(r.answer(),
                ElementsAre("wc.sina.com. 3600 IN CNAME x.wild.sina.com.", "x.wild.sina.com. 3600 IN A 10.0.1.99"));
}

TEST_F(Answers, DelegationIsAReferralWithGlue) {
    // DESIGN.md 4: AA=0, the cut's NS in authority, glue in additional; also below the cut.
    for (const char* name : {"sub.sina.com", "x.sub.sina.com", "ns.sub.sina.com", "a.b.sub.sina.com"}) {
        for (std::uint16_t t : {rrtype::A, rrtype::NS, rrtype::MX, rrtype::ANY}) {
            QueryOpts o;
            o.type = t;
            const Reply r = ask(zs(), name, o);
            EXPECT_EQ(r.rcode(), 0) << name;
            EXPECT_FALSE(r.aa()) << name;
            EXPECT_TRUE(r.answer().empty()) << name;
            EXPECT_THAT(r.authority(), ElementsAre("sub.sina.com. 3600 IN NS ns.sub.sina.com.")) << name;
            EXPECT_THAT(r.additional(), ElementsAre("ns.sub.sina.com. 3600 IN A 10.0.1.53")) << name;
        }
    }
}

TEST_F(Answers, DsAtTheCutIsAnsweredByTheParent) {
    // RFC 4035 3.1.4.1 (NSD): NODATA from sina.com, AA=1.
    QueryOpts o;
    o.type = rrtype::DS;
    const Reply r = ask(zs(), "sub.sina.com", o);
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
}

TEST_F(Answers, SrvAndMxTargetsGetAddresses) {
    QueryOpts o;
    o.type = rrtype::SRV;
    const Reply r = ask(zs(), "_sip._tcp.sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("_sip._tcp.sina.com. 3600 IN SRV 0 5 5060 sip.sina.com."));
    // A section first (SRV target, then NS host), then AAAA, as NSD orders them.
    EXPECT_THAT(r.additional(), ElementsAre("sip.sina.com. 3600 IN A 10.0.1.30", mail_a, mail_aaaa));
}

TEST_F(Answers, CaaAndReverseZone) {
    QueryOpts o;
    o.type = rrtype::CAA;
    Reply r = ask(zs(), "sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("sina.com. 3600 IN CAA 0 issue \"letsencrypt.org\""));
    o.type = rrtype::PTR;
    r = ask(zs(), "10.1.0.10.in-addr.arpa", o);
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(), ElementsAre("10.1.0.10.in-addr.arpa. 3600 IN PTR mail.sina.com."));
    EXPECT_THAT(r.authority(), ElementsAre("1.0.10.in-addr.arpa. 3600 IN NS mail.sina.com."));
    EXPECT_TRUE(r.additional().empty());
    o.type = rrtype::MX;  // mail = false: no MX generated
    r = ask(zs(), "1.0.10.in-addr.arpa", o);
    EXPECT_TRUE(r.answer().empty());
    EXPECT_EQ(r.rcode(), 0);
}

TEST_F(Answers, OutsideOurZonesIsRefused) {
    for (const char* name : {"www.example.org", ".", "com", "xsina.com", "0.10.in-addr.arpa"}) {
        const Reply r = ask(zs(), name);
        EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED) << name;
        EXPECT_FALSE(r.aa()) << name;
        EXPECT_EQ(r.qdcount(), 1) << name;
        EXPECT_TRUE(r.answer().empty()) << name;
    }
}

TEST_F(Answers, QuestionCaseIsEchoedExactly) {
    const auto q = make_query("WwW.SiNa.CoM");
    Responder resp;
    const auto reply = resp.respond(zs(), q, {Transport::udp, v4(127, 0, 0, 1)});
    ASSERT_GT(reply.size(), q.size());
    EXPECT_TRUE(std::equal(q.begin() + 12, q.end(), reply.begin() + 12));
    const Reply r = parse(reply);
    // The answer owner points at the question, so it has the query's case (as NSD).
    EXPECT_THAT(r.answer(), ElementsAre("WwW.SiNa.CoM. 3600 IN A 10.0.1.20"));
    // Slow path too (NXDOMAIN): the SOA owner is a pointer into the question.
    const Reply nx = ask(zs(), "NX.Sina.COM");
    EXPECT_THAT(nx.authority(),
                ElementsAre("Sina.COM. 300 IN SOA mail.Sina.COM. hostmaster.Sina.COM. 2025010100 3600 900 604800 300"));
}

TEST_F(Answers, QtypeAnyReturnsOneRrsetAsNsd) {
    // RFC 8482 4.1; NSD 4.6 prefers A, AAAA, SOA, MX, PTR, and adds no authority.
    QueryOpts o;
    o.type = rrtype::ANY;
    Reply r = ask(zs(), "sina.com", o);
    EXPECT_THAT(
        r.answer(),
        ElementsAre("sina.com. 3600 IN SOA mail.sina.com. hostmaster.sina.com. 2025010100 3600 900 604800 300"));
    EXPECT_TRUE(r.authority().empty());
    r = ask(zs(), "www.sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("www.sina.com. 3600 IN A 10.0.1.20"));
    r = ask(zs(), "ftp.sina.com", o);
    EXPECT_THAT(r.answer(), ElementsAre("ftp.sina.com. 3600 IN CNAME www.sina.com."));
    r = ask(zs(), "b.c.sina.com", o);
    EXPECT_THAT(r.authority(), ElementsAre(soa_neg));
    r = ask(zs(), "nx.sina.com", o);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_NXDOMAIN);
}

TEST_F(Answers, ClassAnyClearsAaAndAddsNoSoaOrNs) {
    QueryOpts o;
    o.cls = rrclass::ANY;
    Reply r = ask(zs(), "www.sina.com", o);
    EXPECT_FALSE(r.aa());
    EXPECT_EQ(r.answer().size(), 1u);
    EXPECT_TRUE(r.authority().empty());
    o.type = rrtype::MX;
    r = ask(zs(), "www.sina.com", o);
    EXPECT_TRUE(r.authority().empty());
}

TEST_F(Answers, ChaosClassAsNsd) {
    QueryOpts o;
    o.cls = rrclass::CH;
    o.type = rrtype::TXT;
    Reply r = ask(zs(), "version.bind", o);
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_FALSE(r.aa());
    ASSERT_EQ(r.answer().size(), 1u);
    EXPECT_NE(r.answer()[0].find("CH TXT \"mxlab "), std::string::npos) << r.answer()[0];
    r = ask(zs(), "id.server", o);
    EXPECT_THAT(r.answer(), ElementsAre("id.server. 0 CH TXT \"mail.sina.com\""));
    r = ask(zs(), "foo.bar", o);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED);
    o.type = rrtype::A;
    r = ask(zs(), "version.bind", o);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED);
    o.cls = rrclass::HS;
    r = ask(zs(), "www.sina.com", o);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED);
    EXPECT_EQ(r.qdcount(), 0);  // NSD leaves the question out here
}

TEST_F(Answers, Edns) {
    // RFC 6891: OPT in the reply, our payload 1232, DO copied (RFC 3225).
    QueryOpts o;
    o.edns = true;
    o.do_bit = true;
    Reply r = ask(zs(), "www.sina.com", o);
    EXPECT_TRUE(r.edns());
    EXPECT_EQ(r.edns_payload(), 1232);
    EXPECT_TRUE(r.edns_do());
    EXPECT_THAT(r.additional(), ElementsAre(mail_a, mail_aaaa));
    // Version 1: BADVERS (extended rcode 16), question echoed, no records.
    o.version = 1;
    r = ask(zs(), "www.sina.com", o);
    EXPECT_EQ(r.rcode(), 0);
    EXPECT_EQ(r.edns_ext_rcode(), 1);
    EXPECT_EQ(r.qdcount(), 1);
    EXPECT_TRUE(r.answer().empty());
    EXPECT_FALSE(r.aa());
}

TEST_F(Answers, RefusedCarriesEdeNotAuthoritative) {
    QueryOpts o;
    o.edns = true;
    const Reply r = ask(zs(), "www.example.org", o);
    EXPECT_EQ(r.rcode(), LDNS_RCODE_REFUSED);
    // OPT RDATA: EDE option 15, length 2, info code 20 (RFC 8914 4.21).
    const std::vector<std::uint8_t> tail(r.bytes.end() - 6, r.bytes.end());
    EXPECT_EQ(tail, (std::vector<std::uint8_t>{0, 15, 0, 2, 0, 20}));
}

TEST_F(Answers, TruncationDropsTheAnswerAndSetsTc) {
    // 20 TXT records of 60 bytes: 512 (no EDNS) and 1232 are too small.
    QueryOpts o;
    o.type = rrtype::TXT;
    Reply r = ask(zs(), "big.sina.com", o);
    EXPECT_TRUE(r.tc());
    EXPECT_TRUE(r.aa());
    EXPECT_EQ(r.qdcount(), 1);
    EXPECT_TRUE(r.answer().empty());
    EXPECT_TRUE(r.authority().empty());
    EXPECT_LE(r.bytes.size(), 512u);
    o.edns = true;
    o.payload = 4096;  // capped at 1232 as NSD (no IP fragments)
    r = ask(zs(), "big.sina.com", o);
    EXPECT_TRUE(r.tc());
    EXPECT_TRUE(r.edns());
    // TCP: the full answer.
    r = ask(zs(), "big.sina.com", o, Transport::tcp);
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.answer().size(), 20u);
    EXPECT_EQ(r.authority().size(), 1u);
    // A bigger UDP limit lets it through.
    Responder resp;
    resp.set_max_udp_payload(4096);
    r = parse(resp.respond(zs(), make_query("big.sina.com", o), {Transport::udp, v4(127, 0, 0, 1)}));
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.answer().size(), 20u);
}

TEST_F(Answers, AdditionalThatDoesNotFitIsDroppedWithoutTc) {
    // RFC 2181 9: 12 MX fit in 512, not all their addresses.
    QueryOpts o;
    o.type = rrtype::MX;
    Reply r = ask(zs(), "mxs.sina.com", o);
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.answer().size(), 12u);
    EXPECT_EQ(r.authority().size(), 1u);
    EXPECT_LT(r.additional().size(), 26u);
    EXPECT_GT(r.additional().size(), 0u);
    EXPECT_LE(r.bytes.size(), 512u);
    o.edns = true;
    r = ask(zs(), "mxs.sina.com", o);
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.additional().size(), 26u);  // 12 A + 12 AAAA + mail A/AAAA
}

TEST_F(Answers, OptionalAuthorityIsDroppedBeforeTc) {
    // 7 TXT of 55 bytes fit 512 only without the authority NS (NSD: optional authority).
    QueryOpts o;
    o.type = rrtype::TXT;
    Reply r = ask(zs(), "med.sina.com", o);
    EXPECT_FALSE(r.tc());
    EXPECT_EQ(r.answer().size(), 7u);
    EXPECT_TRUE(r.authority().empty());
    EXPECT_LE(r.bytes.size(), 512u);
    r = ask(zs(), "med.sina.com", o, Transport::tcp);
    EXPECT_EQ(r.authority().size(), 1u);
}

TEST_F(Answers, PrecompiledAndPlannedRepliesAreTheSameBytes) {
    // Every node and every type it has (and some it has not), through both
    // paths, over UDP without and with EDNS, and TCP.
    Responder fast, slow;
    slow.set_use_precompiled(false);
    std::vector<std::uint16_t> types = {rrtype::A,   rrtype::AAAA,  rrtype::MX,  rrtype::NS,  rrtype::SOA,
                                        rrtype::TXT, rrtype::CNAME, rrtype::SRV, rrtype::PTR, rrtype::CAA,
                                        rrtype::DS,  rrtype::ANY,   99};
    int compared = 0;
    for (const ZoneSet::Node& n : zs().nodes) {
        const std::string name = name_to_text(zs().node_name(n));
        for (std::uint16_t t : types) {
            for (int mode = 0; mode < 3; ++mode) {
                QueryOpts o;
                o.type = t;
                o.edns = mode == 1;
                const Transport tr = mode == 2 ? Transport::tcp : Transport::udp;
                const auto q = make_query(name, o);
                const auto a = fast.respond(zs(), q, {tr, v4(127, 0, 0, 1)});
                const std::vector<std::uint8_t> av(a.begin(), a.end());
                const auto b = slow.respond(zs(), q, {tr, v4(127, 0, 0, 1)});
                const std::vector<std::uint8_t> bv(b.begin(), b.end());
                EXPECT_EQ(av, bv) << name << " type " << t << " mode " << mode;
                ++compared;
            }
        }
    }
    EXPECT_GT(compared, 500);
}

TEST_F(Answers, NestedZonesAnswerFromTheDeepest) {
    config::Config c = lab_config();
    config::Domain child;
    child.name = "sub.sina.com";
    child.mail = false;
    child.records = {{"www A 10.0.9.1", {}}};
    c.domains.push_back(child);
    const auto b = build(c);
    ASSERT_TRUE(b.errors.empty()) << b.errors.front();
    const Reply r = ask(*b.zones, "www.sub.sina.com");
    EXPECT_TRUE(r.aa());
    EXPECT_THAT(r.answer(), ElementsAre("www.sub.sina.com. 3600 IN A 10.0.9.1"));
    EXPECT_THAT(r.authority(), ElementsAre("sub.sina.com. 3600 IN NS mail.sina.com."));
    const Reply nx = ask(*b.zones, "ns.sub.sina.com");  // the parent's glue is not the child's data
    EXPECT_EQ(nx.rcode(), LDNS_RCODE_NXDOMAIN);
}

}  // namespace
}  // namespace mxlab::dns::test
