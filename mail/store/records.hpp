// Binary encodings of the store's values (the right-hand column of keys.hpp), with bounds-checked decoding.
//
// Each value starts with a version byte, then LEB128 varints and
// length-prefixed strings: compact (a message record is ~20 bytes) and
// extendable by appending fields under a new version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/store/types.hpp"

namespace mxlab::store {

struct MailboxRecord {
    MailboxId id = 0;
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highest_modseq = 0;
    std::uint32_t messages = 0;
    std::uint32_t unseen = 0;
    std::uint64_t size = 0;
    // Version 2 (schema 2) on: RFC 7162 expunge records.
    std::uint32_t expunged = 0;   // expunged keys kept (keys.hpp)
    ModSeq vanished_floor = 0;    // changes_since(m) lists every expunge only for m >= this
    std::uint8_t version = 2;     // of the encoding it was read from; encode() writes 2
};

struct BlobHeader {
    std::uint64_t size = 0;
    std::uint32_t chunk_size = 0;
    std::uint32_t chunks = 0;
    std::uint64_t refcount = 0;
};

std::string encode(const MailboxRecord& r);
std::optional<MailboxRecord> decode_mailbox(std::string_view v);

std::string encode(const MessageInfo& m);  // the UID is in the key, not the value
std::optional<MessageInfo> decode_message(std::string_view v, Uid uid);

std::string encode(const BlobHeader& h);
std::optional<BlobHeader> decode_blob_header(std::string_view v);

std::string encode(const QueueEntry& e);  // the id is in the key
std::optional<QueueEntry> decode_queue(std::string_view v, QueueId id);

// A mailbox's keyword list (the keywords family): sorted, unique.
std::string encode_keywords(const std::vector<std::string>& keywords);
std::optional<std::vector<std::string>> decode_keywords(std::string_view v);

std::optional<std::uint64_t> decode_counter(std::string_view v);

}  // namespace mxlab::store
