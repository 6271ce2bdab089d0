// Blob headers and reference counts inside a write: store a message's bytes once, add and drop references.
#pragma once

#include <cstdint>
#include <string_view>

#include "mail/store/blob.hpp"
#include "mail/store/records.hpp"
#include "mail/store/status.hpp"
#include "mail/store/txn.hpp"

namespace mxlab::store {

// Where a new message's bytes are: in memory (small, goes into the batch), or
// staged; and its MIME structure (encoded), parsed before the write.
struct MessageSource {
    std::string_view raw;
    const StagedBlob* staged = nullptr;
    std::string_view structure;  // of raw; a staged blob carries its own
    std::uint64_t size() const { return staged ? staged->size() : raw.size(); }
};

// Writes the header (and the bytes, when not staged) of a new blob with `refs`
// references, and its structure beside it.
Result<BlobId> store_blob(WriteTxn& txn, const MessageSource& source, std::uint64_t refs);
Status add_blob_refs(WriteTxn& txn, BlobId id, std::uint64_t n);
// Drops `n` references; the last one deletes the header, every chunk and the structure.
Status drop_blob_refs(WriteTxn& txn, BlobId id, std::uint64_t n);

Result<BlobHeader> load_blob_header(KvRead& kv, BlobId id);

}  // namespace mxlab::store
