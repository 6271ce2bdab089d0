// Tests for the header field parsers: RFC 2045 parameters with RFC 2231 continuations, Content-Language, RFC 5322 address lists as ENVELOPE shows them.
#include <gtest/gtest.h>

#include "mail/codec/mime_fields.hpp"

namespace mxlab::codec {
namespace {

using Params = std::vector<MimeParam>;

TEST(MimeFields, ContentTypeTokensQuotedStringsAndComments) {
    // RFC 2045 section 5.1: type "/" subtype *(";" parameter), CFWS between.
    const auto ct = parse_content_type("TEXT/Plain (c); CHARSET = \"utf-8\" ; q=\"a\\\"b\"; bad; x=a/b");
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ct->type, "TEXT");  // case kept: IMAP shows what was written
    EXPECT_EQ(ct->subtype, "Plain");
    // An unquoted value is a token: it stops at the "/" tspecial (as in Dovecot).
    EXPECT_EQ(ct->params, (Params{{"CHARSET", "utf-8"}, {"q", "a\"b"}, {"x", "a"}}));
    EXPECT_FALSE(parse_content_type("").has_value());
    EXPECT_FALSE(parse_content_type("; charset=x").has_value());
    EXPECT_EQ(parse_content_type("text")->subtype, "");
}

TEST(MimeFields, Rfc2231ContinuationsAreJoined) {
    // RFC 2231 section 3: name*0, name*1 ... in any order.
    EXPECT_EQ(parse_params("; title*1=\" world\"; title*0=hello; a=b"),
              (Params{{"a", "b"}, {"title", "hello world"}}));
    // Section 4: an extended value stays encoded under "name*"; a plain
    // piece joined to extended ones is percent-encoded.
    EXPECT_EQ(parse_params("; f*0*=utf-8'zh'%E4%BD%9C; f*1=\"a b.txt\""),
              (Params{{"f*", "utf-8'zh'%E4%BD%9Ca%20b.txt"}}));
    EXPECT_EQ(parse_params("; filename*=utf-8''%E4%BD%9C.txt"), (Params{{"filename*", "utf-8''%E4%BD%9C.txt"}}));
    // A gap in the numbers: not RFC 2231, each kept as written.
    EXPECT_EQ(parse_params("; n*0=a; n*2=c"), (Params{{"n*0", "a"}, {"n*2", "c"}}));
    EXPECT_EQ(parse_params("; n*x=a"), (Params{{"n*x", "a"}}));
}

TEST(MimeFields, ParameterTextInUtf8) {
    // RFC 2231 section 4 first, then the RFC 2047 words clients put in
    // quoted filenames anyway.
    const auto joined = parse_params("; filename=\"fallback.doc\"; filename*0*=gb2312''%D6%D0; filename*1=.doc");
    EXPECT_EQ(param_text(joined, "FILENAME"), "中.doc");
    EXPECT_EQ(param_text(parse_params("; name=\"=?gb2312?B?1tDOxA==?=.txt\""), "name"), "中文.txt");
    EXPECT_EQ(param_text(parse_params("; name=plain.txt"), "name"), "plain.txt");
    EXPECT_FALSE(param_text(parse_params("; name=x"), "filename").has_value());
}

TEST(MimeFields, DispositionAndLanguages) {
    const auto d = parse_disposition("ATTACHMENT; filename=\"x.pdf\"; size=5");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->type, "ATTACHMENT");
    EXPECT_EQ(d->params, (Params{{"filename", "x.pdf"}, {"size", "5"}}));
    // RFC 3282 section 2.
    EXPECT_EQ(parse_languages("zh-CN, en (English)"), (std::vector<std::string>{"zh-CN", "en"}));
    EXPECT_EQ(first_token(" 7BIT (plain)"), "7BIT");
}

TEST(MimeFields, UnfoldDropsLineBreaksAndTheWhitespaceAfterTheColon) {
    EXPECT_EQ(unfold("  Lunch on\r\n Friday?  "), "Lunch on Friday?  ");
    EXPECT_EQ(unfold("\r\n <x@y> "), " <x@y> ");
}

Address addr(const char* name, const char* mailbox, const char* host) {
    Address a;
    if (name) a.name = name;
    if (mailbox) a.mailbox = mailbox;
    if (host) a.host = host;
    return a;
}

TEST(MimeFields, AddressListsAsEnvelopeShowsThem) {
    // RFC 5322 section 3.4 name-addr and addr-spec; RFC 3501 section 7.4.2.
    EXPECT_EQ(parse_address_list("\"Li, Bob\" <bob@sina.com>, alice@sina.com (Alice), Will  Fisk <w@b.c>"),
              (std::vector<Address>{addr("Li, Bob", "bob", "sina.com"), addr("Alice", "alice", "sina.com"),
                                    addr("Will Fisk", "w", "b.c")}));
    // Groups: a start with the name as mailbox, an end of four NILs.
    EXPECT_EQ(parse_address_list("class: a@b.c, d@e.f;, undisclosed-recipients:;"),
              (std::vector<Address>{addr(nullptr, "class", nullptr), addr(nullptr, "a", "b.c"),
                                    addr(nullptr, "d", "e.f"), Address{}, addr(nullptr, "undisclosed-recipients", nullptr),
                                    Address{}}));
    // obs-route goes to adl; encoded words and quoted local parts as written.
    auto routed = parse_address_list("=?gb2312?B?zfXAz8qm?= <@a.com,@b.com:w@c.com>");
    ASSERT_EQ(routed.size(), 1u);
    EXPECT_EQ(routed[0].adl, "@a.com,@b.com");
    EXPECT_EQ(routed[0].name, "=?gb2312?B?zfXAz8qm?=");
    EXPECT_EQ(parse_address_list("\"a b\"@c.d")[0], addr(nullptr, "a b", "c.d"));
    EXPECT_EQ(parse_address_list("carol@[10.0.1.5]")[0], addr(nullptr, "carol", "[10.0.1.5]"));
    // What an address lacks gets Dovecot's stand-ins.
    EXPECT_EQ(parse_address_list("bob")[0], addr(nullptr, "bob", "MISSING_DOMAIN"));
    EXPECT_EQ(parse_address_list("x <>")[0], addr("x", "MISSING_MAILBOX", "MISSING_DOMAIN"));
    EXPECT_EQ(parse_address_list("Foo Bar, c@d")[0], addr("Foo Bar", "MISSING_MAILBOX", "MISSING_DOMAIN"));
    EXPECT_EQ(parse_address_list("Foo Bar, c@d")[1], addr(nullptr, "c", "d"));
    EXPECT_TRUE(parse_address_list("").empty());
    // Empty elements before a comma are invalid addresses too, as in Dovecot.
    EXPECT_EQ(parse_address_list("a@b,, c@d, ").size(), 3u);
    EXPECT_EQ(parse_address_list("a@b,, c@d")[1], addr(nullptr, "MISSING_MAILBOX", "MISSING_DOMAIN"));
    EXPECT_EQ(parse_address_list(" , ,").size(), 2u);
}

}  // namespace
}  // namespace mxlab::codec
