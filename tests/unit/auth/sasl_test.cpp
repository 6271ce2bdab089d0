// Tests for mail/auth/sasl: RFC 4648 base64 vectors, RFC 4616 PLAIN and RFC 4954 AUTH examples, LOGIN, cancelling.
#include "mail/auth/sasl.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxlab::auth {
namespace {

using namespace std::literals;
using Kind = SaslExchange::Step::Kind;

// RFC 4648 section 10.
TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string, std::string> vectors[] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : vectors) {
        SCOPED_TRACE(plain);
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded), plain);
    }
}

TEST(Base64, EveryByteRoundTrips) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const auto part = all.substr(all.size() - n);
        EXPECT_EQ(base64_decode(base64_encode(part)), part);
    }
    EXPECT_EQ(base64_encode("\xfb\xff"s), "+/8=");
}

TEST(Base64, Malformed) {
    for (std::string_view bad : {
             "Zg"sv, "Zg="sv, "Zg==="sv,        // length not a multiple of 4
             "Zh=="sv, "Zm9="sv,                // pad bits not zero (RFC 4648 section 3.5)
             "Z=g="sv, "===="sv, "A==="sv,      // '=' where data belongs
             "Zg==Zm9v"sv, "Zm8=Zm9v"sv,        // padding before the end
             "Zm9v\r\n"sv, "Zm9\n"sv, " Zm9"sv, "Z 9v"sv, // whitespace
             "Zm9-"sv, "Zm9_"sv,                // the URL alphabet (section 5)
             "Zm\xc3\xa9"sv, "Zm9\0"sv,        // bytes outside the alphabet
             "*"sv,
         }) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(base64_decode(bad), std::nullopt);
    }
}

void expect_credentials(const Credentials& c, std::string_view authzid, std::string_view authcid,
                        std::string_view password) {
    EXPECT_EQ(c.authzid, authzid);
    EXPECT_EQ(c.authcid, authcid);
    EXPECT_EQ(c.password, password);
}

// RFC 4616 section 4.
TEST(Plain, Rfc4616Examples) {
    auto c = parse_plain("\0tim\0tanstaaftanstaaf"sv);
    ASSERT_TRUE(c);
    expect_credentials(*c, "", "tim", "tanstaaftanstaaf");
    c = parse_plain("Ursel\0Kurt\0xipj3plmq"sv);
    ASSERT_TRUE(c);
    expect_credentials(*c, "Ursel", "Kurt", "xipj3plmq");
}

TEST(Plain, Malformed) {
    for (std::string_view bad : {
             ""sv, "tim"sv, "\0tim"sv, "tim\0pw"sv,  // fewer than two NULs
             "\0\0pw"sv,                             // empty authcid
             "\0tim\0"sv,                            // empty password
             "a\0tim\0pw\0"sv, "a\0b\0c\0d"sv,       // more than two NULs
         }) {
        SCOPED_TRACE(testing::PrintToString(std::string(bad)));
        EXPECT_EQ(parse_plain(bad), std::nullopt);
    }
}

TEST(Mechanism, CaseInsensitive) {
    EXPECT_EQ(parse_mechanism("PLAIN"), Mechanism::plain);
    EXPECT_EQ(parse_mechanism("plain"), Mechanism::plain);
    EXPECT_EQ(parse_mechanism("Login"), Mechanism::login);
    EXPECT_EQ(parse_mechanism("CRAM-MD5"), std::nullopt);
    EXPECT_EQ(parse_mechanism("PLAINX"), std::nullopt);
    EXPECT_EQ(parse_mechanism(""), std::nullopt);
}

// RFC 4954 section 4, first example: "C: AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=".
TEST(PlainExchange, InitialResponse) {
    SaslExchange x(Mechanism::plain);
    const auto s = x.start("dGVzdAB0ZXN0ADEyMzQ=");
    ASSERT_EQ(s.kind, Kind::done);
    expect_credentials(s.credentials, "test", "test", "1234");
}

// RFC 4954 section 4, second example: "C: AUTH PLAIN" / "S: 334 " / "C: dGVzdAB0ZXN0ADEyMzQ=".
TEST(PlainExchange, EmptyChallengeThenResponse) {
    SaslExchange x(Mechanism::plain);
    const auto c = x.start(std::nullopt);
    ASSERT_EQ(c.kind, Kind::challenge);
    EXPECT_EQ(c.challenge, "");
    const auto s = x.step("AHRpbQB0YW5zdGFhZnRhbnN0YWFm");  // RFC 4616's "\0tim\0tanstaaftanstaaf"
    ASSERT_EQ(s.kind, Kind::done);
    expect_credentials(s.credentials, "", "tim", "tanstaaftanstaaf");
}

TEST(PlainExchange, Cancel) {
    SaslExchange x(Mechanism::plain);
    x.start(std::nullopt);
    EXPECT_EQ(x.step("*").kind, Kind::cancelled);
    EXPECT_EQ(x.step("dGVzdAB0ZXN0ADEyMzQ=").kind, Kind::malformed);  // the exchange is over
}

TEST(PlainExchange, Malformed) {
    EXPECT_EQ(SaslExchange(Mechanism::plain).start("=").kind, Kind::malformed);  // empty initial response
    EXPECT_EQ(SaslExchange(Mechanism::plain).start("dGVzdAB0ZXN0ADEyMzQ").kind, Kind::malformed);  // padding
    EXPECT_EQ(SaslExchange(Mechanism::plain).start(base64_encode("tim\0pw"s)).kind, Kind::malformed);
    SaslExchange x(Mechanism::plain);
    x.start(std::nullopt);
    EXPECT_EQ(x.step("not base64!").kind, Kind::malformed);
    SaslExchange y(Mechanism::plain);
    y.start(std::nullopt);
    EXPECT_EQ(y.step("").kind, Kind::malformed);  // empty response: no NULs
}

TEST(PlainExchange, StepBeforeStart) { EXPECT_EQ(SaslExchange(Mechanism::plain).step("").kind, Kind::malformed); }

// draft-murchison-sasl-login: "334 VXNlcm5hbWU6" ("Username:") and "334 UGFzc3dvcmQ6" ("Password:").
TEST(LoginExchange, TwoChallenges) {
    SaslExchange x(Mechanism::login);
    const auto u = x.start(std::nullopt);
    ASSERT_EQ(u.kind, Kind::challenge);
    EXPECT_EQ(u.challenge, "VXNlcm5hbWU6");
    const auto p = x.step("dGlt");
    ASSERT_EQ(p.kind, Kind::challenge);
    EXPECT_EQ(p.challenge, "UGFzc3dvcmQ6");
    const auto s = x.step("dGFuc3RhYWZ0YW5zdGFhZg==");
    ASSERT_EQ(s.kind, Kind::done);
    expect_credentials(s.credentials, "", "tim", "tanstaaftanstaaf");
    EXPECT_EQ(x.step("dGlt").kind, Kind::malformed);  // the exchange is over
}

// "AUTH LOGIN dGlt": the initial response is the user name.
TEST(LoginExchange, InitialResponseIsUserName) {
    SaslExchange x(Mechanism::login);
    const auto p = x.start("dGlt");
    ASSERT_EQ(p.kind, Kind::challenge);
    EXPECT_EQ(p.challenge, "UGFzc3dvcmQ6");
    const auto s = x.step(base64_encode("pw"));
    ASSERT_EQ(s.kind, Kind::done);
    expect_credentials(s.credentials, "", "tim", "pw");
}

TEST(LoginExchange, CancelAtEitherPrompt) {
    SaslExchange x(Mechanism::login);
    x.start(std::nullopt);
    EXPECT_EQ(x.step("*").kind, Kind::cancelled);
    SaslExchange y(Mechanism::login);
    y.start(std::nullopt);
    y.step("dGlt");
    EXPECT_EQ(y.step("*").kind, Kind::cancelled);
}

TEST(LoginExchange, Malformed) {
    EXPECT_EQ(SaslExchange(Mechanism::login).start("=").kind, Kind::malformed);  // empty user name
    EXPECT_EQ(SaslExchange(Mechanism::login).start("dGl").kind, Kind::malformed);
    SaslExchange x(Mechanism::login);
    x.start(std::nullopt);
    EXPECT_EQ(x.step("dGlt dGlt").kind, Kind::malformed);
    SaslExchange y(Mechanism::login);
    y.start(std::nullopt);
    y.step("dGlt");
    EXPECT_EQ(y.step("").kind, Kind::malformed);  // empty password
    SaslExchange z(Mechanism::login);
    z.start(std::nullopt);
    EXPECT_EQ(z.step(base64_encode("a\0b"s)).kind, Kind::malformed);  // NUL cannot be in a login
}

TEST(LoginExchange, StartTwice) {
    SaslExchange x(Mechanism::login);
    x.start(std::nullopt);
    EXPECT_EQ(x.start(std::nullopt).kind, Kind::malformed);
}

}  // namespace
}  // namespace mxlab::auth
