// Bad configs that must be rejected, each with the line, key and reason a student needs to fix it.
#include "helpers.hpp"

namespace mxlab::config::test {
namespace {

struct Bad {
    const char* name;
    std::string_view toml;
    int line;                  // where the diagnostic must point (0: no position)
    std::string_view key;      // part of the diagnostic's key
    std::string_view message;  // part of its message
};

// Line 1 of each text is the line after R"(.
const Bad kBad[] = {
    // Unknown keys and tables: a typo must not pass silently.
    {"UnknownKey", R"([appliance]
hostname = "mail.sina.com"
[smtp]
relya = "open"
)", 4, "smtp.relya", "did you mean relay?"},
    {"UnknownKeyListsTheKnownOnes", R"([appliance]
hostname = "mail.sina.com"
[tls]
certificate = "x.pem"
)", 4, "tls.certificate", "[tls] takes cert, key, require_for_auth"},
    {"LimitsUnknownKey", R"([appliance]
hostname = "mail.sina.com"
[limits]
connections_per_ip = 5
)", 4, "limits.connections_per_ip", "did you mean connections_per_client?"},
    {"LimitsZero", R"([appliance]
hostname = "mail.sina.com"
[limits]
smtp_connections = 0
)", 4, "limits.smtp_connections", "expected a number of connections 1..1000000"},
    {"LimitsLockoutNotADuration", R"([appliance]
hostname = "mail.sina.com"
[limits]
login_lockout = "soon"
)", 4, "limits.login_lockout", "expected a duration"},
    {"UnknownTable", R"([appliance]
hostname = "mail.sina.com"
[smpt]
relay = "none"
)", 3, "smpt", "unknown table [smpt] (did you mean [smtp]?)"},
    {"UnknownKeyInDomain", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
user = { Bob = "x" }
)", 5, "domain \"sina.com\" user", "did you mean users?"},
    {"KeyAboveEveryTable", R"(hostname = "mail.sina.com"
[appliance]
)", 1, "hostname", "belongs below the [appliance] line"},
    {"UnknownSubtableOfAppliance", R"([appliance]
hostname = "mail.sina.com"
[appliance.extra]
x = 1
)", 3, "appliance.extra", "unknown key"},

    // Wrong types.
    {"StringWhereBool", R"([appliance]
hostname = "mail.sina.com"
[services]
dns = "yes"
)", 4, "services.dns", "expected true or false, got the string \"yes\""},
    {"IntWhereString", R"([appliance]
hostname = 5
)", 2, "appliance.hostname", "expected a host name like \"mail.sina.com\", got the number 5"},
    {"StringWherePort", R"([appliance]
hostname = "mail.sina.com"
[ports]
smtp = "25"
)", 4, "ports.smtp", "expected a port number"},
    {"FloatWherePort", R"([appliance]
hostname = "mail.sina.com"
[ports]
smtp = 25.0
)", 4, "ports.smtp", "got a decimal number"},
    {"StringWhereList", R"([appliance]
hostname = "mail.sina.com"
addresses = "10.0.1.10"
)", 3, "appliance.addresses", "expected a list like [\"10.0.1.10\"], got the string \"10.0.1.10\""},
    {"TableWhereString", R"([appliance]
hostname = "mail.sina.com"
log_level = { level = "info" }
)", 3, "appliance.log_level", "got a table"},
    {"BoolWhereTable", R"(appliance = true
)", 1, "appliance", "expected a table"},
    {"SingleDomainTable", R"([appliance]
hostname = "mail.sina.com"
[domain]
name = "sina.com"
)", 3, "domain", "expected [[domain]] tables"},
    {"PasswordNotAString", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = 123
)", 6, "domain \"sina.com\" users.Bob", "expected a password in quotes, like \"bob123\", got a number"},
    {"AliasNotAString", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.aliases]
postmaster = 1
)", 6, "aliases.postmaster", "got the number 1"},
    {"RecordNotAString", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20", 42]
)", 5, "domain \"sina.com\" records[2]", "expected a zone-file line"},

    // Names.
    {"HostnameOneLabel", R"([appliance]
hostname = "mail"
)", 2, "appliance.hostname", "needs at least two labels"},
    {"HostnameUnderscore", R"([appliance]
hostname = "mail_1.sina.com"
)", 2, "appliance.hostname", "has the character '_'"},
    {"HostnameIsAnAddress", R"([appliance]
hostname = "10.0.1.10"
)", 2, "appliance.hostname", "looks like an address"},
    {"HostnameLabelTooLong", R"([appliance]
hostname = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sina.com"
)", 2, "appliance.hostname", "has a label longer than 63 characters"},
    {"MissingHostname", R"([appliance]
log_level = "info"
)", 1, "appliance.hostname", "required"},
    {"MissingAppliance", R"([smtp]
relay = "none"
)", 0, "appliance.hostname", "required: add an [appliance] table"},
    {"MissingDomainName", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
mail = true
)", 3, "domain #1 name", "required"},
    {"BadDomainName", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina..com"
)", 4, "domain \"sina..com\" name", "empty label"},
    {"DuplicateDomain", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[[domain]]
name = "Sina.COM"
)", 6, "name", "duplicate domain"},
    {"ReverseZoneTakesNoMail", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "1.0.10.in-addr.arpa"
)", 4, "name", "add mail = false"},
    {"BadReverseZone", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "300.0.10.in-addr.arpa"
mail = false
)", 4, "name", "has \"300\", which is not a number 0..255"},
    {"BadMx", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
mx = "mail"
)", 5, "domain \"sina.com\" mx", "needs at least two labels"},

    // Addresses, prefixes, resolvers.
    {"BadAddress", R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10", "10.0.1.300"]
)", 3, "appliance.addresses[2]", "expected an IPv4 or IPv6 address"},
    {"BadListen", R"([appliance]
hostname = "mail.sina.com"
listen = ["localhost"]
)", 3, "appliance.listen[1]", "got \"localhost\""},
    {"EmptyListen", R"([appliance]
hostname = "mail.sina.com"
listen = []
)", 3, "appliance.listen", "listen nowhere"},
    {"DuplicateAddress", R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10",
             "10.0.1.10"]
)", 4, "appliance.addresses[2]", "already in the list"},
    {"BadCidrPrefix", R"([appliance]
hostname = "mail.sina.com"
[smtp]
relay_networks = ["10.0.0.0/33"]
)", 4, "smtp.relay_networks[1]", "expected an address or prefix"},
    {"CidrHostBits", R"([appliance]
hostname = "mail.sina.com"
[dns]
allow_transfer = ["10.0.1.5/24"]
)", 4, "dns.allow_transfer[1]", "did you mean \"10.0.1.0/24\""},
    {"RecursionBadCidr", R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = ["10.0.0.0/8", "10.0.1.0/33"]
)", 4, "dns.recursion[2]", "expected an address or prefix like \"10.0.0.0/8\""},
    {"RecursionHostBits", R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = [
  "10.0.1.10/24",
]
)", 5, "dns.recursion[1]", "did you mean \"10.0.1.0/24\""},
    {"RecursionNotAList", R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = "10.0.0.0/8"
)", 4, "dns.recursion", "expected a list like [\"10.0.0.0/8\"]"},
    {"RecursionNotAnAddress", R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = ["lab"]
)", 4, "dns.recursion[1]", "got \"lab\""},
    {"RecursionRepeated", R"([appliance]
hostname = "mail.sina.com"
[dns]
recursion = ["10.0.1.0/24", "10.0.1.0/24"]
)", 4, "dns.recursion[2]", "already in the list"},
    {"RecursionThroughOurselves", R"([appliance]
hostname = "mail.sina.com"
addresses = ["10.0.1.10"]
[dns]
resolvers = ["10.0.2.10", "10.0.1.10"]
recursion = ["10.0.1.0/24"]
)", 5, "dns.resolvers[2]", "queries would loop back to us"},
    {"BadResolver", R"([appliance]
hostname = "mail.sina.com"
[dns]
resolvers = ["10.0.2.10:99999"]
)", 4, "dns.resolvers[1]", "expected a DNS server"},

    // Ports.
    {"PortOutOfRange", R"([appliance]
hostname = "mail.sina.com"
[ports]
smtp = 70000
)", 4, "ports.smtp", "0..65535"},
    {"NegativePort", R"([appliance]
hostname = "mail.sina.com"
[ports]
pop3 = -1
)", 4, "ports.pop3", "got -1"},
    {"TwoListenersOnOnePort", R"([appliance]
hostname = "mail.sina.com"
[ports]
smtp = 2525
submission = 2525
)", 5, "ports.submission", "also used by ports.smtp"},
    {"PortTakenFromADefault", R"([appliance]
hostname = "mail.sina.com"
[ports]
smtps = 443
)", 4, "ports.smtps", "also used by ports.https"},

    // Sizes, durations, enums, numbers.
    {"BadSize", R"([appliance]
hostname = "mail.sina.com"
[smtp]
max_message_size = "25MB"
)", 4, "smtp.max_message_size", "expected a size like \"25M\""},
    {"SizeNotAString", R"([appliance]
hostname = "mail.sina.com"
[smtp]
max_message_size = true
)", 4, "smtp.max_message_size", "got the boolean true"},
    {"BadDuration", R"([appliance]
hostname = "mail.sina.com"
[smtp]
retry_interval = "5 minutes"
)", 4, "smtp.retry_interval", "expected a duration like \"5m\""},
    {"ZeroDuration", R"([appliance]
hostname = "mail.sina.com"
[smtp]
queue_lifetime = "0d"
)", 4, "smtp.queue_lifetime", "from 1s to 365d"},
    {"BadRelay", R"([appliance]
hostname = "mail.sina.com"
[smtp]
relay = "yes"
)", 4, "smtp.relay", "one of \"none\", \"authenticated\", \"networks\", \"open\""},
    {"BadLogLevel", R"([appliance]
hostname = "mail.sina.com"
log_level = "verbose"
)", 3, "appliance.log_level", "one of \"error\""},
    {"TtlOutOfRange", R"([appliance]
hostname = "mail.sina.com"
[dns]
default_ttl = 2147483648
)", 4, "dns.default_ttl", "0..2147483647"},
    {"EmptyDataDir", R"([appliance]
hostname = "mail.sina.com"
data_dir = ""
)", 3, "appliance.data_dir", "is empty"},

    // Users and passwords.
    {"DuplicateUserCaseInsensitive", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
bob = "y"
)", 7, "users.bob", "already defined as \"Bob\""},
    {"UserNameWithAt", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
"bob@sina.com" = "x"
)", 6, "users.\"bob@sina.com\"", "contains '@'"},
    {"UserNameWithSpace", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
"Bob Smith" = "x"
)", 6, "users.\"Bob Smith\"", "has the character ' '"},
    {"EmptyPassword", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = ""
)", 6, "users.Bob", "password is empty"},
    {"UnknownPasswordScheme", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "{MD5}abc"
)", 6, "users.Bob", "unknown password scheme {MD5}"},
    {"HashOfTheWrongScheme", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "{SHA512-CRYPT}$5$salt$hash"
)", 6, "users.Bob", "starts with \"$6$\""},
    {"UnclosedScheme", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "{PLAIN"
)", 6, "users.Bob", "has no \"}\""},

    // Aliases and catch-all.
    {"AliasToMissingUser", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
[domain.aliases]
staff = ["Bob",
         "Nobody"]
)", 9, "domain \"sina.com\" aliases.staff[2]", "no user or alias \"Nobody\" in sina.com"},
    {"AliasToMissingUserOfAnotherLocalDomain", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
[domain.aliases]
friend = "nobody@BigSky.com"
[[domain]]
name = "bigsky.com"
[domain.users]
WFisk = "x"
)", 8, "aliases.friend", "bigsky.com is served here and has no user or alias \"nobody\""},
    {"AliasClashesWithUser", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
[domain.aliases]
BOB = "Bob"
)", 8, "aliases.BOB", "has the name of user \"Bob\""},
    {"AliasLoop", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.aliases]
a = "b"
b = ["a"]
)", 6, "aliases.a", "alias loop: a -> b -> a"},
    {"AliasToBadAddress", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
[domain.aliases]
out = "bob@"
)", 8, "aliases.out", "the domain is empty"},
    {"EmptyAliasList", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[domain.aliases]
staff = []
)", 6, "aliases.staff", "empty list"},
    {"CatchAllNotAUser", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
catch_all = "nobody"
[domain.users]
Bob = "x"
)", 5, "domain \"sina.com\" catch_all", "is not a user of sina.com"},
    {"MailFalseWithUsers", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
mail = false
[domain.users]
Bob = "x"
)", 7, "domain \"sina.com\" users", "mail = false"},
    {"AdminIsNotAUser", R"([appliance]
hostname = "mail.sina.com"
[web]
admins = ["root@sina.com"]
[[domain]]
name = "sina.com"
[domain.users]
Bob = "x"
)", 4, "web.admins[1]", "is not a user of this config"},

    // Records.
    {"RecordBadAddress", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = [
  "www A 10.0.1.20",
  "www2 A 999.1.1.1",
]
)", 7, "domain \"sina.com\" records[2]", "is not a zone-file record: Syntax error"},
    {"RecordUnknownType", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www BOGUS x"]
)", 5, "records[1]", "unknown record type \"BOGUS\""},
    {"RecordMissingData", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www A"]
)", 5, "records[1]", "Syntax error"},
    {"RecordOwnerOutsideZone", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www.bigsky.com. A 10.0.2.20"]
)", 5, "records[1]", "www.bigsky.com is outside the zone sina.com"},
    {"RecordCnameAndOtherData", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www A 10.0.1.20", "www CNAME ftp"]
)", 5, "records[2]", "a CNAME must be the only record of its name"},
    {"RecordCnameAtApex", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["@ CNAME www.bigsky.com."]
)", 5, "records[1]", "cannot be at the zone's apex"},
    {"RecordDirective", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["$TTL 300"]
)", 5, "records[1]", "directives"},
    {"RecordOtherClass", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
records = ["www CH A 10.0.1.20"]
)", 5, "records[1]", "only class IN"},

    // TOML syntax: the position is toml++'s.
    {"SyntaxUnterminatedString", R"([appliance]
hostname = "mail.sina.com
)", 2, "", "missing closing quote: the string that starts here has no closing \" on its line"},
    {"SyntaxUnterminatedStringInAList", R"([appliance]
hostname = "mail.sina.com" # a "quote" in a comment
[[domain]]
name = "sina.com\"s"
records = ["www A 10.0.1.20",
           "mail A 10.0.1.10]
[domain.users]
Bob = "x"
)", 6, "", "missing closing quote"},
    {"SyntaxUnterminatedLiteralString", R"([appliance]
hostname = 'mail.sina.com
)", 2, "", "has no closing ' on its line"},
    {"SyntaxUnterminatedMultiLineString", R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = """sina.com
[domain.users]
)", 4, "", "has no closing \"\"\" before the end of the file"},
    {"SyntaxDuplicateKey", R"([appliance]
hostname = "mail.sina.com"
hostname = "mail.bigsky.com"
)", 3, "", "hostname"},
    {"SyntaxMissingValue", R"([appliance]
hostname =
)", 2, "", ""},
    // Inputs that sent toml++ 3.3.0 into __builtin_unreachable (marzer/tomlplusplus#190, #295);
    // config/toml.hpp defuses it, and the ASan+UBSan build of this test would notice if not.
    {"TomlUnicodeTableBug295", "\xcc\xaa", 1, "", "expected keys"},
    {"TomlUnicodeTableBug190", "[appliance]\nhostname = \"mail.sina.com\"\nx = \"\"\"\\\n\xc2\xa7\"\"\"\n", 3,
     "appliance.x", "unknown key"},
};

class BadConfig : public testing::TestWithParam<Bad> {};

TEST_P(BadConfig, IsRejectedWithLineKeyAndReason) {
    const auto& c = GetParam();
    auto r = load(c.toml);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(find(r, Diagnostic::Severity::error, c.line, c.key, c.message), nullptr)
        << "want line " << c.line << ", key containing [" << c.key << "], message containing [" << c.message
        << "]; got:\n"
        << all(r);
}

INSTANTIATE_TEST_SUITE_P(Config, BadConfig, testing::ValuesIn(kBad), [](const auto& info) {
    return std::string(info.param.name);
});

TEST(BadConfig, AllErrorsAreReportedNotJustTheFirst) {
    auto r = load(R"([appliance]
hostname = "mail"
log_level = "loud"
[ports]
smtp = 99999
[smtp]
relay = "maybe"
)");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(count(r, Diagnostic::Severity::error), 4u) << all(r);
    // Sorted top to bottom, as a student reads the file.
    ASSERT_EQ(r.diagnostics.size(), 4u);
    EXPECT_EQ(r.diagnostics[0].pos.line, 2);
    EXPECT_EQ(r.diagnostics[3].pos.line, 7);
}

TEST(BadConfig, OneLineAsCheckPrintsIt) {
    auto r = load("[appliance]\nhostname = \"mail.sina.com\"\n[smtp]\nrelya = \"open\"\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(format("/etc/mxlab/mxlab.toml", r.diagnostics[0]),
              "/etc/mxlab/mxlab.toml:4:1: error: smtp.relya: unknown key (did you mean relay?)");
}

TEST(BadConfig, UnterminatedStringPointsAtItsQuote) {
    auto r = load("[appliance]\nhostname = \"mail.sina.com\nlisten = [\"127.0.0.1\"]\n\n[[domain]]\nname = \"sina.com\"\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(format("x.toml", r.diagnostics[0]),
              "x.toml:2:12: error: missing closing quote: the string that starts here has no closing \" on its line");
}

// A typo is one error: the key it was meant to be is not reported missing as well.
TEST(BadConfig, TypoIsNotAlsoAMissingKey) {
    for (std::string_view toml : {"[appliance]\nhostnme = \"mail.sina.com\"\n",
                                  "hostname = \"mail.sina.com\"\n[appliance]\n",
                                  "[appliances]\nhostname = \"mail.sina.com\"\n",
                                  "[appliance]\nhostname = \"mail.sina.com\"\n[[domain]]\nnmae = \"sina.com\"\n"}) {
        auto r = load(toml);
        EXPECT_EQ(r.diagnostics.size(), 1u) << toml << "\n" << all(r);
        EXPECT_NE(all(r).find("error"), std::string::npos) << all(r);
    }
}

TEST(BadConfig, SyntaxErrorHasTomlsColumn) {
    auto r = load("[appliance]\nhostname = \"mail.sina.com\"\nlisten = [\"::1\",, ]\n");
    ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
    EXPECT_EQ(r.diagnostics[0].pos.line, 3);
    EXPECT_GT(r.diagnostics[0].pos.column, 10);
    EXPECT_EQ(format("x.toml", r.diagnostics[0]).rfind("x.toml:3:", 0), 0u);
}

TEST(BadConfig, RecordErrorPointsAtTheElement) {
    auto r = load("[appliance]\nhostname = \"mail.sina.com\"\n[[domain]]\nname = \"sina.com\"\n"
                  "records = [\"www A 1.2.3.4\", \"ftp BOGUS x\"]\n");
    auto d = find(r, Diagnostic::Severity::error, 5, "records[2]", "BOGUS");
    ASSERT_NE(d, nullptr) << all(r);
    EXPECT_EQ(d->pos.column, 29);
}

TEST(BadConfig, UnnamedDomainsAreNumbered) {
    auto r = load(R"([appliance]
hostname = "mail.sina.com"
[[domain]]
name = "sina.com"
[[domain]]
name = 7
)");
    EXPECT_NE(find(r, Diagnostic::Severity::error, 6, "domain #2 name", "expected a domain name"), nullptr) << all(r);
}

}  // namespace
}  // namespace mxlab::config::test
