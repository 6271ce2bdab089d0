// Each message's MIME structure, parsed as it enters the store and kept beside its body: delivered whole or in parts, shared by copies, gone with the last one; and a byte range of a big body read by its chunks only (issue 14, item 4).
#include <rocksdb/db.h>

#include "mail/codec/mime.hpp"
#include "mail/store/db.hpp"
#include "mail/store/keys.hpp"
#include "store_fixture.hpp"

namespace mxlab::store::test {
namespace {

const std::string bob = "bob@sina.com";

// A multipart message of about `size` bytes: a text part, a base64 part
// that makes up the size, and a short text part last.
std::string multipart_message(std::size_t size) {
    std::string m =
        "From: Bob <bob@sina.com>\r\nTo: wfisk@bigsky.com\r\nSubject: the report\r\nMessage-ID: <r1@sina.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n"
        "--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
        "--=_b\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    const std::string line = std::string(76, 'Q') + "\r\n";
    while (m.size() < size) m += line;
    return m + "--=_b\r\nContent-Type: text/plain\r\n\r\nthe last part\r\n--=_b--\r\n";
}

// Keys of the structures family, and those whose blob has no header.
struct StructureKeys {
    std::size_t all = 0, orphans = 0;
};

class StructureTest : public StoreTest {
protected:
    // Closes the store to look at its families directly.
    StructureKeys structure_keys() {
        store_.reset();
        StructureKeys n;
        {
            Db db(dir_ / "store", 1 << 20);
            std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator({}, db.cf(Cf::structures)));
            for (it->SeekToFirst(); it->Valid(); it->Next()) {
                ++n.all;
                std::string header;
                if (db.get()->Get({}, db.cf(Cf::blob_meta), it->key(), &header).IsNotFound()) ++n.orphans;
            }
        }
        open();
        return n;
    }
    MailboxRef inbox(const std::string& user, const std::string& name = "INBOX") {
        auto o = s().open_mailbox(user, name);
        EXPECT_TRUE(o.ok());
        return o ? o->ref : MailboxRef{};
    }
    std::string stored(const std::string& user, const std::string& box, Uid uid) {
        auto r = s().structure(inbox(user, box), uid);
        return r ? codec::encode_structure(*r) : "(" + r.error().message + ")";
    }
};

TEST_F(StructureTest, AMessageDeliveredWholeOrInPartsHasItsStructureFromDelivery) {
    const std::string small = multipart_message(2000);
    auto d = s().deliver(to_users({bob}), small);
    MX_ASSERT_OK(d);
    const auto parsed = codec::parse_mime(small);
    ASSERT_EQ(parsed.parts.size(), 4u);
    EXPECT_EQ(stored(bob, "INBOX", d->local[0].uid), codec::encode_structure(parsed));

    // 1.5 MiB arriving in SMTP-sized pieces, staged chunk by chunk.
    const std::string big = multipart_message(1536 * 1024);
    BlobWriter w = s().stage_message();
    for (std::size_t i = 0; i < big.size(); i += 1000) MX_ASSERT_OK(w.append(std::string_view(big).substr(i, 1000)));
    auto staged = w.finish();
    MX_ASSERT_OK(staged);
    auto big_d = s().deliver(to_users({bob}), std::move(*staged));
    MX_ASSERT_OK(big_d);
    auto st = s().structure(inbox(bob), big_d->local[0].uid);
    MX_ASSERT_OK(st);
    EXPECT_EQ(*st, codec::parse_mime(big));
    EXPECT_EQ(st->parts[0].envelope->subject, "the report");
    EXPECT_EQ(st->parts[3].end, big.size() - std::string("\r\n--=_b--\r\n").size());

    // APPEND, small and big (staged by the store), keeps one too.
    auto a = s().append(bob, "Sent", small);
    MX_ASSERT_OK(a);
    EXPECT_EQ(stored(bob, "Sent", a->uid), codec::encode_structure(parsed));
    auto big_a = s().append(bob, "Sent", big);
    MX_ASSERT_OK(big_a);
    EXPECT_EQ(stored(bob, "Sent", big_a->uid), codec::encode_structure(codec::parse_mime(big)));
    const auto keys = structure_keys();
    EXPECT_EQ(keys.all, 4u);
    EXPECT_EQ(keys.orphans, 0u);
}

TEST_F(StructureTest, CopiesShareTheStructureAndTheLastOneTakesItAlong) {
    const std::string raw = multipart_message(600 * 1024);
    auto d = s().deliver(to_users({bob, "jack@sina.com"}), raw);
    MX_ASSERT_OK(d);
    MX_ASSERT_OK(s().create_mailbox(bob, "Archive"));
    MX_ASSERT_OK(s().copy(inbox(bob), all_uids(), "Archive"));
    auto keys = structure_keys();
    EXPECT_EQ(keys.all, 1u);  // one body, three references, one structure
    const std::string expected = codec::encode_structure(codec::parse_mime(raw));
    EXPECT_EQ(stored(bob, "Archive", 1), expected);

    MX_ASSERT_OK(s().remove_messages(inbox(bob), all_uids()));
    MX_ASSERT_OK(s().remove_messages(inbox("jack@sina.com"), all_uids()));
    EXPECT_EQ(structure_keys().all, 1u);
    EXPECT_EQ(stored(bob, "Archive", 1), expected);
    MX_ASSERT_OK(s().remove_messages(inbox(bob, "Archive"), all_uids()));
    keys = structure_keys();
    EXPECT_EQ(keys.all, 0u);
    EXPECT_EQ(s().structure(inbox(bob, "Archive"), 1).code(), Errc::not_found);
}

TEST_F(StructureTest, MalformedMimeNeverFailsADelivery) {
    // A boundary that never comes, a header without its blank line, NULs,
    // a bare CR, an unterminated quoted parameter, 8-bit bytes.
    std::string raw = "Content-Type: multipart/mixed; boundary=\"unclosed\r\nSubject: \xff\xfe\r\n--unclosed\r\n";
    static constexpr char kNuls[] = "Content-Type: message/rfc822\r\n\r\n\0\0\r\r\n--";
    raw += std::string(kNuls, sizeof kNuls - 1) + std::string(300, '-') + "\r\n";  // the NULs too, not the terminator
    for (const std::string& m : {raw, std::string(), std::string("\r\n"), std::string(300 * 1024, '\n')}) {
        auto d = s().deliver(to_users({bob}), m);
        MX_ASSERT_OK(d);
        EXPECT_EQ(stored(bob, "INBOX", d->local[0].uid), codec::encode_structure(codec::parse_mime(m)));
    }
}

TEST_F(StructureTest, ASectionOfABigMessageReadsOnlyTheChunksItCovers) {
    const std::string raw = multipart_message(3 * 1024 * 1024);
    auto d = s().deliver(to_users({bob}), raw);
    MX_ASSERT_OK(d);
    auto st = s().structure(inbox(bob), d->local[0].uid);
    MX_ASSERT_OK(st);
    // BODY[3]: the last part, in the message's last chunk.
    const auto last = codec::find_section(*st, {3});
    ASSERT_TRUE(last.has_value());
    const auto& part = st->parts[*last];
    auto reader = s().open_message(inbox(bob), d->local[0].uid);
    MX_ASSERT_OK(reader);
    auto body = reader->read(part.body_start, part.end - part.body_start);
    MX_ASSERT_OK(body);
    EXPECT_EQ(*body, "the last part");
    EXPECT_EQ(reader->chunks_read(), 1u);
    // BODY[2]<0.100> of the big part: its first chunk only.
    const auto& pdf = st->parts[*codec::find_section(*st, {2})];
    auto head = reader->read(pdf.body_start, 100);
    MX_ASSERT_OK(head);
    EXPECT_EQ(*head, raw.substr(pdf.body_start, 100));
    EXPECT_EQ(reader->chunks_read(), 2u);
    // The whole message is 13 chunks.
    EXPECT_EQ(reader->read(0, reader->size())->size(), raw.size());
    EXPECT_EQ(reader->chunks_read(), 2u + (raw.size() + chunk_size - 1) / chunk_size);
}

}  // namespace
}  // namespace mxlab::store::test
