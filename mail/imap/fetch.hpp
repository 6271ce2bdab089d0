// FETCH responses from the stored MIME structure (RFC 3501 sections 6.4.5 and 7.4.2, RFC 9051, RFC 3516 BINARY, RFC 7162 MODSEQ): only the bytes a section covers are read, and big literals are left for the server to stream.
//
// Pure but for `read`, the caller's window onto the message's bytes (the
// store's MessageReader::read, which fetches only the chunks a range
// covers). A response is a list of pieces: text, then optionally a range of
// the message's raw bytes that the server streams in chunks (a 50 MB
// BODY[] never sits in memory whole). Ranges below `inline_limit` come back
// as text already.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mail/codec/mime.hpp"
#include "mail/codec/transfer_encoding.hpp"
#include "mail/imap/command.hpp"
#include "mail/store/status.hpp"
#include "mail/store/types.hpp"

namespace mxlab::imap {

struct FetchPiece {
    std::string text;
    // Then `length` raw bytes of the message from `offset`, the body of the
    // literal `text` ends with. A BODY literal can't hold NUL: the server
    // sends each NUL as 0x80, as Dovecot does (a BINARY one, "~{n}", as it is).
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct FetchMessage {
    std::uint32_t msn = 0;
    const store::MessageInfo* info = nullptr;  // its flags with any \Seen this FETCH set
    bool recent = false;
    const codec::MessageStructure* structure = nullptr;  // set when needs_structure(items)
    // Up to `length` bytes of the message from `offset`.
    std::function<store::Result<std::string>(std::uint64_t offset, std::uint64_t length)> read;
};

struct FetchOptions {
    bool uid = false;       // UID FETCH: UID is in every response (RFC 9051 6.4.9)
    bool modseq = false;    // CONDSTORE in use: MODSEQ is in every response (RFC 7162 3.1.4.1)
    bool flags = false;     // \Seen was set by this FETCH: FLAGS is in the response even if not asked
    bool imap4rev2 = false;  // IMAP4rev2 enabled: RFC822.* answers stay as asked; no difference today
    std::uint64_t inline_limit = 64 * 1024;
};

// What the items need from the store.
bool needs_structure(const std::vector<FetchItem>& items);
bool needs_bytes(const std::vector<FetchItem>& items);
// Whether the items set \Seen (BODY[...] and BINARY[...] without .PEEK, RFC822, RFC822.TEXT).
bool sets_seen(const std::vector<FetchItem>& items);

// "* <msn> FETCH (...)\r\n" for one message. An error only when `read`
// failed, or when BINARY meets a Content-Transfer-Encoding it can't decode
// (is_unknown_cte: the session answers NO [UNKNOWN-CTE], RFC 3516 section
// 4.3); for any other the session answers NO for the command.
store::Result<std::vector<FetchPiece>> render_fetch(const std::vector<FetchItem>& items, const FetchMessage& message,
                                                    const FetchOptions& options);
bool is_unknown_cte(const store::Error& error);

}  // namespace mxlab::imap
