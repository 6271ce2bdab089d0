// The MIME structure of a message, parsed once at delivery: part tree with byte offsets, the fields IMAP's BODYSTRUCTURE and ENVELOPE need (RFC 2045, 2046, 2231, 3501 section 7.4.2).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxlab::codec {

// A Content-Type or Content-Disposition parameter as IMAP shows it: RFC 2231
// continuations joined, an extended value kept encoded under "name*" (as
// Dovecot does); decode it with decode_rfc2231_value().
struct MimeParam {
    std::string name;
    std::string value;
    bool operator==(const MimeParam&) const = default;
};

// One RFC 3501 address: a group starts with (NIL NIL "name" NIL) and ends
// with (NIL NIL NIL NIL); unset members render as NIL.
struct Address {
    std::optional<std::string> name, adl, mailbox, host;
    bool operator==(const Address&) const = default;
};

// RFC 3501 section 7.4.2 ENVELOPE: raw header values (unfolded, not RFC 2047
// decoded; IMAP returns them as written) and parsed address lists. The
// subject keeps its line breaks (render_envelope folds it as Dovecot does;
// decode_rfc2047 reads it as it is). Sender and reply_to are as written:
// render_envelope gives them From's addresses when empty (RFC 3501 7.4.2).
struct Envelope {
    std::optional<std::string> date, subject, in_reply_to, message_id;
    std::vector<Address> from, sender, reply_to, to, cc, bcc;
    bool operator==(const Envelope&) const = default;
};

enum class PartKind : std::uint8_t {
    leaf = 0,       // a body IMAP does not look into (also: a multipart past the limits)
    multipart = 1,  // children are its body parts
    message = 2,    // message/rfc822 or message/global: one child, the embedded message
};

// One entity. Offsets are into the message's bytes: the header runs from
// header_start to body_start (blank line included), the body from body_start
// to end (the line break before a boundary delimiter belongs to the
// delimiter, RFC 2046 section 5.1.1, unless it ends a header or a close
// delimiter line: Dovecot's sizes). Lines and sizes are of the body as
// encoded in the message; bare_lf counts LFs not preceded by CR, so the size
// IMAP reports with CRLF line ends is (end - body_start) + bare_lf.
struct MimePart {
    std::uint64_t header_start = 0, body_start = 0, end = 0;
    std::uint64_t lines = 0, bare_lf = 0;
    PartKind kind = PartKind::leaf;
    // As written in the message; a part without (a parsable) Content-Type
    // gets its default, text/plain or, in a multipart/digest, message/rfc822.
    std::string type, subtype;
    std::vector<MimeParam> params;
    std::optional<std::string> id, description, encoding, md5, location;
    std::optional<std::string> disposition;
    std::vector<MimeParam> disposition_params;
    std::vector<std::string> languages;
    // Set on the message itself (part 0) and on each embedded message's root.
    std::optional<Envelope> envelope;
    // Tree links, indexes into MessageStructure::parts (pre-order). 0 means
    // none: part 0 is the root, never anyone's child or sibling.
    std::uint32_t parent = 0, first_child = 0, next_sibling = 0;

    std::uint64_t size() const { return end - body_start + bare_lf; }
    bool operator==(const MimePart&) const = default;
};

struct MessageStructure {
    std::vector<MimePart> parts;  // pre-order; parts[0] is the whole message
    std::uint64_t header_length() const { return parts.empty() ? 0 : parts[0].body_start; }
    bool operator==(const MessageStructure&) const = default;
};

// message/rfc822 or message/global (RFC 6532), an embedded message.
bool is_embedded_message(const MimePart& part);

// Beyond these the parser stops looking inside: at depth max_depth a
// multipart has no parts and a message/rfc822 is a leaf (BODYSTRUCTURE shows
// an empty one), and after the message's max_parts-th part the rest of each
// multipart is not listed (its bytes stay in the multipart).
struct MimeLimits {
    std::uint32_t max_parts = 10'000;
    std::uint32_t max_depth = 100;
};

// Bytes the parser looked at (line scans, boundary candidates, header
// fields): tests bound it by a small multiple of the message size.
struct MimeWork {
    std::uint64_t steps = 0;
    // The most boundary trie nodes held at once: the bytes of the
    // boundaries open together, never of all boundaries seen.
    std::uint64_t peak_trie_nodes = 0;
    // The most bytes MimeParser kept of a line split across pieces: a
    // body line's or an unkept header field's first KB, never more.
    std::uint64_t peak_line_bytes = 0;
};

// Parses a whole message (CRLF or bare LF line ends, any bytes). Never fails:
// malformed MIME gives the structure a lenient reader would see.
MessageStructure parse_mime(std::string_view message, const MimeLimits& limits = {}, MimeWork* work = nullptr);

// The same parse fed in pieces as they pass (a message staged in chunks):
// finish() gives exactly what parse_mime gives for the bytes fed, however
// they were split. It keeps the current line, the open boundaries and the
// structure so far, never the body. feed() after finish() is not allowed.
class MimeParser {
public:
    explicit MimeParser(const MimeLimits& limits = {});
    MimeParser(MimeParser&&) noexcept;
    MimeParser& operator=(MimeParser&&) noexcept;
    ~MimeParser();

    void feed(std::string_view chunk);
    MessageStructure finish(MimeWork* work = nullptr);

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// The part an IMAP section number names (RFC 3501 section 6.4.5): "1.2" is
// {1, 2}, and {} the whole message (part 0). Each number picks a body part
// of the multipart it is in; the body of a message that is not multipart is
// its part 1; after a message/rfc822 part the numbers go on in the message
// it holds. Nothing for a number that names no part.
std::optional<std::uint32_t> find_section(const MessageStructure& s, const std::vector<std::uint32_t>& numbers);

// The compact form the store keeps beside the body; decode_structure returns
// nothing for anything encode_structure did not write (wrong version,
// truncated, lengths or links out of range, or a part ending past
// message_size, the body it is read beside).
std::string encode_structure(const MessageStructure& s);
std::optional<MessageStructure> decode_structure(std::string_view bytes,
                                                 std::uint64_t message_size = UINT64_MAX);

}  // namespace mxlab::codec
