// The resolver's pure half: query bytes, reply checks (RFC 5452 9.1) and what a reply means (RFC 1034 5.3.3, RFC 2308).
#include <gtest/gtest.h>

#include "dns/resolver_reply.hpp"
#include "dns/responder.hpp"
#include "dns/wire.hpp"
#include "loopback_dns.hpp"

namespace mxlab::dns::test {
namespace {

using client::ParsedReply;
using client::Question;
using client::Record;
using client::Reply;
using client::Verdict;
using client::WireName;

WireName wire(std::string_view text) { return *name_from_text(text); }

// The lab's sina.com as this appliance serves it, with what the checks need.
const ZoneSet& sina() {
    static const auto zones = zones_of(
        {{"sina.com",
          true,
          "mail.sina.com",
          {"mail A 10.0.1.10", "www A 10.0.1.20", "ftp CNAME www", "ext CNAME www.bigsky.com.", "dangling CNAME nothere",
           "sub NS ns.sub", "ns.sub A 10.0.1.53", "far NS ns.example.org."}}},
        "mail.sina.com", {v4(10, 0, 1, 10)});
    return *zones;
}

struct Asked {
    Question q;
    std::vector<std::uint8_t> bytes;
    ParsedReply parsed;
};

// Our query, answered by our own Responder, parsed back.
Asked ask(std::string_view name, std::uint16_t type) {
    Asked a;
    a.q = {0xBEEF, wire(name), type};
    Responder responder;
    auto reply = responder.respond(sina(), client::make_query(a.q), {Transport::udp, v4(127, 0, 0, 1)});
    a.bytes.assign(reply.begin(), reply.end());
    a.parsed = client::parse_reply(a.bytes, a.q);
    return a;
}

Verdict judge(std::string_view name, std::uint16_t type, std::string_view zone = ".") {
    Asked a = ask(name, type);
    EXPECT_EQ(a.parsed.status, ParsedReply::Status::ok) << a.parsed.error;
    return client::judge(a.parsed.reply, a.q, wire(zone));
}

std::vector<std::string> hosts(const std::vector<WireName>& names) {
    std::vector<std::string> out;
    for (const auto& n : names) out.push_back(name_to_host(n));
    return out;
}

TEST(ResolverQuery, BytesAreRdEdns1232) {
    const auto q = client::make_query({0xBEEF, wire("Sina.COM"), rrtype::MX});
    const std::vector<std::uint8_t> want = {
        0xBE, 0xEF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,                  // ID, RD, QD=1, AR=1 (RFC 1035 4.1.1)
        4, 's', 'i', 'n', 'a', 3, 'c', 'o', 'm', 0, 0, 15, 0, 1,          // sina.com MX IN
        0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0,                           // OPT, payload 1232 (RFC 6891 6.1.2)
    };
    EXPECT_EQ(q, want);
}

TEST(ResolverReply, AnswerWithAddressesInBailiwick) {
    Verdict v = judge("sina.com", rrtype::MX);
    ASSERT_EQ(v.kind, Verdict::Kind::answer);
    ASSERT_EQ(v.records.size(), 1u);
    EXPECT_EQ(name_to_host(v.records[0].target), "mail.sina.com");
    EXPECT_EQ(v.records[0].preference, 10);
    ASSERT_EQ(v.addresses.size(), 1u);
    EXPECT_EQ(v.addresses[0].address->str(), "10.0.1.10");
}

TEST(ResolverReply, AdditionalOutsideWhatWeTrustIsIgnored) {
    // A server we only trust for bigsky.com cannot vouch for sina.com's addresses (RFC 2181 5.4.1).
    Verdict v = judge("sina.com", rrtype::MX, "bigsky.com");
    ASSERT_EQ(v.kind, Verdict::Kind::answer);
    EXPECT_TRUE(v.addresses.empty());
}

TEST(ResolverReply, NxdomainCarriesTheNegativeTtl) {
    Verdict v = judge("nope.sina.com", rrtype::MX);
    EXPECT_EQ(v.kind, Verdict::Kind::nxdomain);
    EXPECT_EQ(v.negative_ttl, 300u);  // min(SOA TTL 3600, MINIMUM 300), RFC 2308 section 5
}

TEST(ResolverReply, NoDataIsAnAnswerToo) {
    Verdict v = judge("www.sina.com", rrtype::MX);
    EXPECT_EQ(v.kind, Verdict::Kind::nodata);
    EXPECT_EQ(v.negative_ttl, 300u);
}

TEST(ResolverReply, CnameChainInsideTheReply) {
    Verdict v = judge("FTP.sina.com", rrtype::A);
    ASSERT_EQ(v.kind, Verdict::Kind::answer);
    ASSERT_EQ(v.cnames.size(), 1u);
    EXPECT_EQ(name_to_host(v.canonical), "www.sina.com");
    EXPECT_EQ(v.records[0].address->str(), "10.0.1.20");
}

TEST(ResolverReply, CnameLeavingTheServerIsAskedAgain) {
    Verdict v = judge("ext.sina.com", rrtype::A);
    EXPECT_EQ(v.kind, Verdict::Kind::cname);
    EXPECT_EQ(name_to_host(v.canonical), "www.bigsky.com");
}

TEST(ResolverReply, NxdomainAfterCnameIsAboutTheTarget) {
    Verdict v = judge("dangling.sina.com", rrtype::A);  // RFC 6604 section 2
    EXPECT_EQ(v.kind, Verdict::Kind::nxdomain);
    EXPECT_EQ(name_to_host(v.canonical), "nothere.sina.com");
}

TEST(ResolverReply, ReferralWithGlue) {
    Verdict v = judge("www.sub.sina.com", rrtype::A);
    ASSERT_EQ(v.kind, Verdict::Kind::referral);
    EXPECT_EQ(name_to_host(v.cut), "sub.sina.com");
    EXPECT_EQ(hosts(v.ns), std::vector<std::string>{"ns.sub.sina.com"});
    ASSERT_EQ(v.glue.size(), 1u);
    EXPECT_EQ(v.glue[0].address->str(), "10.0.1.53");
}

TEST(ResolverReply, ReferralWithoutGlue) {
    Verdict v = judge("far.sina.com", rrtype::MX);
    ASSERT_EQ(v.kind, Verdict::Kind::referral);
    EXPECT_EQ(hosts(v.ns), std::vector<std::string>{"ns.example.org"});
    EXPECT_TRUE(v.glue.empty());
}

TEST(ResolverReply, ReferralToTheZoneWeAskedIsLame) {
    // The servers of sub.sina.com referring to sub.sina.com again: no progress.
    Verdict v = judge("www.sub.sina.com", rrtype::A, "sub.sina.com");
    EXPECT_EQ(v.kind, Verdict::Kind::failed);
    EXPECT_EQ(v.why, "lame referral to sub.sina.com.");
}

TEST(ResolverReply, RefusedIsAFailure) {
    Verdict v = judge("example.org", rrtype::MX);
    EXPECT_EQ(v.kind, Verdict::Kind::failed);
    EXPECT_EQ(v.why, "REFUSED");
}

TEST(ResolverReply, TruncatedMeansTcp) {
    Reply r;
    r.tc = true;
    EXPECT_EQ(client::judge(r, {1, wire("sina.com"), rrtype::MX}, wire(".")).kind, Verdict::Kind::truncated);
}

TEST(ResolverReply, OnlyOurAnswerCounts) {
    Asked a = ask("sina.com", rrtype::MX);
    ASSERT_EQ(a.parsed.status, ParsedReply::Status::ok);

    Question other_id = a.q;
    other_id.id = 0xBEEE;
    EXPECT_EQ(client::parse_reply(a.bytes, other_id).status, ParsedReply::Status::unrelated);

    Question other_name = a.q;
    other_name.name = wire("bigsky.com");
    EXPECT_EQ(client::parse_reply(a.bytes, other_name).status, ParsedReply::Status::unrelated);

    Question other_type = a.q;
    other_type.type = rrtype::A;
    EXPECT_EQ(client::parse_reply(a.bytes, other_type).status, ParsedReply::Status::unrelated);

    // Our own query reflected back (QR=0) is no answer.
    const auto query = client::make_query(a.q);
    EXPECT_EQ(client::parse_reply(query, a.q).status, ParsedReply::Status::unrelated);

    // Shorter than a header: nothing to match.
    EXPECT_EQ(client::parse_reply(std::span(a.bytes).first(5), a.q).status, ParsedReply::Status::unrelated);

    // Our ID and QR, but cut in the middle: malformed, the server failed.
    auto cut = std::span(a.bytes).first(a.bytes.size() - 3);
    EXPECT_EQ(client::parse_reply(cut, a.q).status, ParsedReply::Status::malformed);
}

TEST(ResolverReply, QuestionCaseDoesNotMatter) {
    Asked a = ask("sina.com", rrtype::MX);
    a.bytes[header_size + 1] = 'S';  // a server echoing 0x20-style mixed case
    EXPECT_EQ(client::parse_reply(a.bytes, a.q).status, ParsedReply::Status::ok);
}

TEST(ResolverReply, FormerrWithoutQuestionIsTheServersAnswer) {
    // NSD (and mxlab) send FORMERR with no question section.
    std::vector<std::uint8_t> m(header_size, 0);
    put16(m.data(), 0xBEEF);
    put16(m.data() + 2, flag::qr | rcode::formerr);
    const Question q{0xBEEF, wire("sina.com"), rrtype::MX};
    ParsedReply p = client::parse_reply(m, q);
    ASSERT_EQ(p.status, ParsedReply::Status::ok);
    Verdict v = client::judge(p.reply, q, wire("."));
    EXPECT_EQ(v.kind, Verdict::Kind::failed);
    EXPECT_EQ(v.why, "FORMERR");

    put16(m.data() + 2, flag::qr);  // NOERROR answering no question
    EXPECT_EQ(client::parse_reply(m, q).status, ParsedReply::Status::malformed);
}

Record rr(std::string_view owner, std::uint16_t type, std::string_view target = "", const char* ip = nullptr) {
    Record r;
    r.owner = wire(owner);
    r.type = type;
    r.ttl = 60;
    if (!target.empty()) r.target = wire(target);
    if (ip) r.address = config::IpAddr::parse(ip);
    return r;
}

TEST(ResolverReply, UpwardReferralIsLame) {
    Reply r;
    r.authority = {rr("com", rrtype::NS, "a.gtld-servers.net")};
    Verdict v = client::judge(r, {1, wire("www.example.com"), rrtype::A}, wire("example.com"));
    EXPECT_EQ(v.kind, Verdict::Kind::failed);
    EXPECT_EQ(v.why, "lame referral to com.");
}

TEST(ResolverReply, GlueOnlyForTheNsNamesAndInsideTheZone) {
    Reply r;
    r.authority = {rr("sub.example.com", rrtype::NS, "ns.sub.example.com"),
                   rr("sub.example.com", rrtype::NS, "ns.other.org")};
    r.additional = {rr("ns.sub.example.com", rrtype::A, "", "192.0.2.1"),
                    rr("ns.other.org", rrtype::A, "", "192.0.2.2"),      // outside example.com: not believed
                    rr("www.sub.example.com", rrtype::A, "", "192.0.2.3")};  // not a name server
    Verdict v = client::judge(r, {1, wire("www.sub.example.com"), rrtype::A}, wire("example.com"));
    ASSERT_EQ(v.kind, Verdict::Kind::referral);
    EXPECT_EQ(hosts(v.ns), (std::vector<std::string>{"ns.sub.example.com", "ns.other.org"}));
    ASSERT_EQ(v.glue.size(), 1u);
    EXPECT_EQ(v.glue[0].address->str(), "192.0.2.1");
}

TEST(ResolverReply, NsWithoutSoaFromAnAuthorityIsNoData) {
    // RFC 2308 2.2 tells referrals and NODATA apart by SOA; an AA=1 reply is no referral.
    Reply r;
    r.aa = true;
    r.authority = {rr("example.com", rrtype::NS, "ns.example.com")};
    EXPECT_EQ(client::judge(r, {1, wire("example.com"), rrtype::MX}, wire(".")).kind, Verdict::Kind::nodata);
    Reply empty;  // RFC 2308 2.2.1 NODATA type 3: nothing at all
    EXPECT_EQ(client::judge(empty, {1, wire("example.com"), rrtype::MX}, wire(".")).kind, Verdict::Kind::nodata);
}

TEST(ResolverReply, CnameLoopInsideOneReplyEnds) {
    Reply r;
    r.answer = {rr("a.example.com", rrtype::CNAME, "b.example.com"), rr("b.example.com", rrtype::CNAME, "a.example.com")};
    Verdict v = client::judge(r, {1, wire("a.example.com"), rrtype::A}, wire("."));
    EXPECT_EQ(v.kind, Verdict::Kind::failed);
}

}  // namespace
}  // namespace mxlab::dns::test
