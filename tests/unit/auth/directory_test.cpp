// Tests for mail/auth/directory: recipients, aliases and lists, catch-alls, logins and sender checks, from TOML.
#include "mail/auth/directory.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/auth/password.hpp"

namespace mxlab::auth {
namespace {

using Kind = Recipient::Kind;
using Strings = std::vector<std::string>;

config::Config load(const std::string& toml) {
    auto r = config::load_string(toml, "/etc/mxlab/test.toml");
    std::string why;
    for (const auto& d : r.diagnostics) why += config::format("test.toml", d) + "\n";
    if (!r.ok()) ADD_FAILURE() << why;
    return r.ok() ? *r.config : config::Config{};
}

const std::string jack_password = "jack's secret";

// Two mail domains sharing the local part "bob", a DNS-only domain and a reverse zone.
config::Config lab() {
    return load(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]

[[domain]]
name = "Sina.com"
catch_all = "Catch"

[domain.users]
Bob = "bob123"
Jack = ")" + hash_password(jack_password) + R"("
Catch = "c"
"Zoë" = "z"

[domain.aliases]
postmaster = "Bob"
abuse = "postmaster"
sales = "bob@OTHER.org"
staff = ["Bob", "Jack", "wfisk@BigSky.com", "bob@sina.com", "team"]
team = ["jack", "staff", "Amy@Other.org"]
outside = "WFisk@bigsky.com"
everyone = "staff"

[[domain]]
name = "other.org"

[domain.users]
amy = "a"
bob = "b2"

[[domain]]
name = "bigsky.com"
mail = false

[[domain]]
name = "1.0.10.in-addr.arpa"
mail = false
)");
}

class DirectoryTest : public testing::Test {
protected:
    Directory dir{lab()};
};

TEST_F(DirectoryTest, LocalDomainsAreThoseWithMail) {
    EXPECT_TRUE(dir.is_local_domain("sina.com"));
    EXPECT_TRUE(dir.is_local_domain("SINA.COM"));
    EXPECT_TRUE(dir.is_local_domain("other.org"));
    EXPECT_FALSE(dir.is_local_domain("bigsky.com"));  // mail = false: DNS only
    EXPECT_FALSE(dir.is_local_domain("1.0.10.in-addr.arpa"));
    EXPECT_FALSE(dir.is_local_domain("mail.sina.com"));
    EXPECT_FALSE(dir.is_local_domain(""));
}

// DESIGN.md section 3: local parts and domains match case-insensitively.
TEST_F(DirectoryTest, UserResolvesToCanonicalAddress) {
    const auto r = dir.resolve("Bob@SINA.com");
    EXPECT_EQ(r.kind, Kind::local);
    EXPECT_EQ(r.users, Strings{"bob@sina.com"});
    EXPECT_TRUE(r.remote.empty());
    EXPECT_EQ(dir.resolve("bob@other.org").users, Strings{"bob@other.org"});
}

// Only ASCII folds; the bytes of a UTF-8 local part (RFC 6531) compare as written.
TEST_F(DirectoryTest, Utf8LocalPart) {
    EXPECT_EQ(dir.resolve("ZOë@sina.com").users, Strings{"zoë@sina.com"});
    EXPECT_EQ(dir.resolve("zoË@sina.com").users, Strings{"catch@sina.com"});  // not Zoë: the catch-all
}

TEST_F(DirectoryTest, AliasChain) {
    EXPECT_EQ(dir.resolve("postmaster@sina.com").users, Strings{"bob@sina.com"});
    const auto r = dir.resolve("ABUSE@sina.com");  // abuse -> postmaster -> Bob
    EXPECT_EQ(r.kind, Kind::local);
    EXPECT_EQ(r.users, Strings{"bob@sina.com"});
    EXPECT_EQ(dir.resolve("sales@sina.com").users, Strings{"bob@other.org"});  // another local domain
}

// staff names Bob twice, Jack twice (via team), and itself via team: each user once, in first-seen order.
TEST_F(DirectoryTest, ListExpandsEachUserOnceAndKeepsRemoteMembers) {
    const auto r = dir.resolve("staff@sina.com");
    EXPECT_EQ(r.kind, Kind::local);
    EXPECT_EQ(r.users, (Strings{"bob@sina.com", "jack@sina.com", "amy@other.org"}));
    EXPECT_EQ(r.remote, Strings{"wfisk@bigsky.com"});
    // Entering the loop from the other side terminates too.
    const auto t = dir.resolve("team@sina.com");
    EXPECT_EQ(t.users, (Strings{"jack@sina.com", "bob@sina.com", "amy@other.org"}));
    EXPECT_EQ(t.remote, Strings{"wfisk@bigsky.com"});
}

TEST_F(DirectoryTest, AliasToRemoteOnlyIsLocalWithNoUsers) {
    const auto r = dir.resolve("outside@sina.com");
    EXPECT_EQ(r.kind, Kind::local);
    EXPECT_TRUE(r.users.empty());
    EXPECT_EQ(r.remote, Strings{"WFisk@bigsky.com"});  // another server's local part keeps its case
}

TEST_F(DirectoryTest, CatchAllTakesUnknownLocalParts) {
    const auto r = dir.resolve("nobody@Sina.com");
    EXPECT_EQ(r.kind, Kind::local);
    EXPECT_EQ(r.users, Strings{"catch@sina.com"});
}

TEST_F(DirectoryTest, UnknownWithoutCatchAll) {
    const auto r = dir.resolve("nobody@other.org");
    EXPECT_EQ(r.kind, Kind::unknown);
    EXPECT_TRUE(r.users.empty());
    EXPECT_TRUE(r.remote.empty());
}

TEST_F(DirectoryTest, RemoteDomain) {
    const auto r = dir.resolve("WFisk@BigSky.COM");  // served in DNS here, but mail = false
    EXPECT_EQ(r.kind, Kind::remote);
    EXPECT_TRUE(r.users.empty());
    EXPECT_EQ(r.remote, Strings{"WFisk@bigsky.com"});
    EXPECT_EQ(dir.resolve("someone@example.net").kind, Kind::remote);
}

// The caller deals with RFC 5321's bare <postmaster>; these are not addresses.
TEST_F(DirectoryTest, NotAnAddress) {
    for (std::string_view a : {"", "postmaster", "bob", "@sina.com", "bob@"}) {
        SCOPED_TRACE(a);
        EXPECT_EQ(dir.resolve(a).kind, Kind::unknown);
    }
}

TEST_F(DirectoryTest, FindLogin) {
    EXPECT_EQ(dir.find_login("Bob@SINA.com"), "bob@sina.com");
    EXPECT_EQ(dir.find_login("bob@other.org"), "bob@other.org");
    EXPECT_EQ(dir.find_login("JACK"), "jack@sina.com");  // only sina.com has jack
    EXPECT_EQ(dir.find_login("amy"), "amy@other.org");
    EXPECT_EQ(dir.find_login("bob"), std::nullopt);  // ambiguous: sina.com and other.org
    EXPECT_EQ(dir.find_login("postmaster@sina.com"), std::nullopt);  // aliases do not log in
    EXPECT_EQ(dir.find_login("postmaster"), std::nullopt);
    EXPECT_EQ(dir.find_login("nobody@sina.com"), std::nullopt);  // the catch-all is for mail, not logins
    EXPECT_EQ(dir.find_login("wfisk@bigsky.com"), std::nullopt);
    EXPECT_EQ(dir.find_login(""), std::nullopt);
    EXPECT_EQ(dir.find_login("@sina.com"), std::nullopt);
}

TEST_F(DirectoryTest, AuthenticatePlainText) {
    EXPECT_EQ(dir.authenticate("Bob@SINA.com", "bob123"), "bob@sina.com");
    EXPECT_EQ(dir.authenticate("bob@other.org", "b2"), "bob@other.org");
    EXPECT_EQ(dir.authenticate("bob@sina.com", "b2"), std::nullopt);  // the other bob's password
    EXPECT_EQ(dir.authenticate("bob@sina.com", "BOB123"), std::nullopt);  // passwords are case-sensitive
    EXPECT_EQ(dir.authenticate("bob@sina.com", ""), std::nullopt);
    EXPECT_EQ(dir.authenticate("bob", "bob123"), std::nullopt);  // ambiguous bare name
    EXPECT_EQ(dir.authenticate("postmaster@sina.com", "bob123"), std::nullopt);
}

TEST_F(DirectoryTest, AuthenticateSha512Crypt) {
    EXPECT_EQ(dir.authenticate("jack", jack_password), "jack@sina.com");
    EXPECT_EQ(dir.authenticate("Jack@sina.com", jack_password), "jack@sina.com");
    EXPECT_EQ(dir.authenticate("jack", jack_password + "x"), std::nullopt);
}

// DESIGN.md section 5: the authenticated user sends only as its own addresses or aliases (553 5.7.1).
TEST_F(DirectoryTest, MaySendAs) {
    EXPECT_TRUE(dir.may_send_as("bob@sina.com", "bob@sina.com"));
    EXPECT_TRUE(dir.may_send_as("bob@sina.com", "BOB@Sina.Com"));
    EXPECT_TRUE(dir.may_send_as("bob@sina.com", "postmaster@sina.com"));
    EXPECT_TRUE(dir.may_send_as("bob@sina.com", "abuse@sina.com"));  // alias of an alias
    EXPECT_TRUE(dir.may_send_as("bob@other.org", "sales@sina.com"));  // an alias in another local domain

    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "staff@sina.com"));     // a list
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "everyone@sina.com"));  // an alias of a list
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "jack@sina.com"));      // someone else
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "bob@other.org"));      // same local part, other user
    EXPECT_FALSE(dir.may_send_as("bob@other.org", "postmaster@sina.com"));
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "wfisk@bigsky.com"));   // not ours
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "outside@sina.com"));   // leads to a remote address
    EXPECT_FALSE(dir.may_send_as("catch@sina.com", "nobody@sina.com"));  // the catch-all owns no names
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "bob"));
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", ""));
    EXPECT_FALSE(dir.may_send_as("ghost@sina.com", "ghost@sina.com"));  // not (or no longer) a user
}

TEST_F(DirectoryTest, UsersSorted) {
    EXPECT_EQ(dir.users(),
              (Strings{"amy@other.org", "bob@other.org", "bob@sina.com", "catch@sina.com", "jack@sina.com", "zoë@sina.com"}));
}

// Validation rejects what follows; the directory must still terminate on a Config built by hand.
config::Config small() {
    return load(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]

[[domain]]
name = "sina.com"

[domain.users]
bob = "bob123"
)");
}

config::Alias alias(std::string name, std::vector<std::string> targets, bool list = false) {
    return config::Alias{std::move(name), std::move(targets), list, {}};
}

TEST(DirectoryUnvalidated, PureLoopTerminatesAsUnknown) {
    auto cfg = small();
    cfg.domains[0].aliases = {alias("x", {"y"}), alias("y", {"X@sina.com"}), alias("me", {"me"}, true)};
    const Directory dir(cfg);
    EXPECT_EQ(dir.resolve("x@sina.com").kind, Kind::unknown);
    EXPECT_EQ(dir.resolve("me@sina.com").kind, Kind::unknown);
    EXPECT_FALSE(dir.may_send_as("bob@sina.com", "x@sina.com"));
}

// "a depth past 10 stops that branch": a user 10 aliases down is reached, 11 down is not.
TEST(DirectoryUnvalidated, DepthLimit) {
    auto cfg = small();
    auto& aliases = cfg.domains[0].aliases;
    for (int i = 0; i < 10; ++i) aliases.push_back(alias("a" + std::to_string(i), {"a" + std::to_string(i + 1)}));
    aliases.push_back(alias("a10", {"bob"}));
    const Directory dir(cfg);
    EXPECT_EQ(dir.resolve("a1@sina.com").users, Strings{"bob@sina.com"});
    EXPECT_EQ(dir.resolve("a0@sina.com").kind, Kind::unknown);
}

// A catch-all that names nobody must not send resolution round in circles.
TEST(DirectoryUnvalidated, CatchAllNamingNobody) {
    auto cfg = small();
    cfg.domains[0].catch_all = "ghost";
    const Directory dir(cfg);
    EXPECT_EQ(dir.resolve("anyone@sina.com").kind, Kind::unknown);
}

// An unknown login is checked against a decoy as costly as the slowest user's
// hash, whatever comes first in the TOML (here plain text, as in the lab), so
// that its failure takes as long as a known user's. Costs are compared as work
// (scheme and rounds, auth::verify_cost), never as time.
TEST(DirectoryDecoy, CostsWhatTheSlowestUsersHashCosts) {
    const std::string sha512_10000 =
        "$6$rounds=10000$65Mf1cAjRMALlMFR$HiK2TBaeH7Sza7UgdL3fzUeKUs2ml.w2gNUo2mTjNglc5O6100yEUmvmvxZCYraHU9G6QsPqOWMLMASaP7cwj1";
    const Directory dir(load(R"(
[appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]

[[domain]]
name = "sina.com"
[domain.users]
Bob = "bob123"
Jack = ")" + hash_password(jack_password) + R"("
Amy = "{CRYPT}$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1"

[[domain]]
name = "bigsky.com"
[domain.users]
WFisk = "{SHA512-CRYPT})" + sha512_10000 + R"("
)"));
    ASSERT_FALSE(dir.decoy().empty());
    // The setting of WFisk's hash: SHA512-CRYPT at 10000 rounds, twice the others' 5000.
    EXPECT_TRUE(dir.decoy().starts_with("{CRYPT}$6$rounds=10000$")) << dir.decoy();
    EXPECT_EQ(password_scheme(dir.decoy().substr(7)), "SHA512-CRYPT");
    for (const auto* stored : {"bob123", "{CRYPT}$1$pbuBzMjE$xe4Ep5Jd55EaMsMJ74JTc1"})
        EXPECT_GT(verify_cost(dir.decoy()), verify_cost(stored)) << stored;
    EXPECT_EQ(verify_cost(dir.decoy()), verify_cost(sha512_10000));
    EXPECT_EQ(verify_cost(dir.decoy()), 2 * verify_cost(hash_password("x")));

    // Issue 12 review: a known user with a cheap hash (Bob's plain text, Amy's
    // MD5) answered far faster than an unknown login. Now the cheap ones pay
    // the decoy too, and every login costs what the decoy does, give or take
    // half of it (Jack's 5000 rounds against the decoy's 10000).
    const double d = verify_cost(dir.decoy());
    EXPECT_EQ(dir.check_cost("nobody@sina.com"), d);
    EXPECT_EQ(dir.check_cost("wfisk@bigsky.com"), d);
    for (const auto* login : {"bob@sina.com", "bob", "amy@sina.com"}) {
        EXPECT_GE(dir.check_cost(login), d) << login;
        EXPECT_LE(dir.check_cost(login), 1.5 * d) << login;
    }
    EXPECT_EQ(dir.check_cost("jack@sina.com"), d / 2);

    // Unknown logins still fail, also with a user's password or the decoy's own text.
    EXPECT_EQ(dir.authenticate("wfisk@bigsky.com", "secret"), "wfisk@bigsky.com");
    for (const auto* login : {"nobody@sina.com", "nobody", "wfisk@sina.com", "wfisk@other.org"})
        for (const std::string& password : Strings{"secret", "bob123", jack_password, dir.decoy()})
            EXPECT_EQ(dir.authenticate(login, password), std::nullopt) << login << " / " << password;
}

TEST(DirectoryDecoy, SlowerSchemeWinsOverMoreRounds) {
    // mkpasswd's default yescrypt (N 2^12, r 32) is slower than any SHA512-CRYPT here.
    const std::string yescrypt = "$y$j9T$Ioo0tiBFdDzNXT.FPIDub1$jfrdjqnY7kprESK9nE/.2vlGHvWex0XxUoOcop7d5j.";
    auto cfg = small();
    cfg.domains[0].users = {{"bob", "bob123", {}},
                            {"jack", "{SHA512-CRYPT}$6$rounds=20000$65Mf1cAjRMALlMFR$HiK2TBaeH7Sza7UgdL3fzUeKUs2ml.w2gNUo2mTjNglc5O6100yEUmvmvxZCYraHU9G6QsPqOWMLMASaP7cwj1", {}},
                            {"amy", yescrypt, {}},
                            // A malformed hash never makes the decoy: it fails at once, whatever rounds it claims.
                            {"zed", "$6$rounds=1000000000$abc$", {}}};
    const Directory dir(cfg);
    EXPECT_TRUE(dir.decoy().starts_with("{CRYPT}$y$j9T$")) << dir.decoy();
    EXPECT_EQ(verify_cost(dir.decoy()), verify_cost(yescrypt));
    EXPECT_EQ(dir.authenticate("amy@sina.com", "secret"), "amy@sina.com");
    EXPECT_EQ(dir.authenticate("nobody@sina.com", "secret"), std::nullopt);
}

TEST(DirectoryDecoy, PlainTextOnly) {
    auto cfg = small();
    const Directory dir(cfg);
    EXPECT_EQ(password_scheme(dir.decoy()), "PLAIN");
    EXPECT_EQ(dir.authenticate("nobody@sina.com", "bob123"), std::nullopt);
}

TEST(DirectoryEmpty, NoDomains) {
    const Directory dir(config::Config{});
    EXPECT_FALSE(dir.is_local_domain("sina.com"));
    EXPECT_EQ(dir.resolve("bob@sina.com").kind, Kind::remote);
    EXPECT_EQ(dir.find_login("bob"), std::nullopt);
    EXPECT_TRUE(dir.users().empty());
}

}  // namespace
}  // namespace mxlab::auth
