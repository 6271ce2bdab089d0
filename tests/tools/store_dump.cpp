// For integration tests: prints what a stopped mxlab's store holds, as JSON lines (mailbox messages with their raw bytes, and the queue).
//
//   store_dump DATA_DIR USER...   one {"user","mailbox","uid","uidl","size","flags","message"} per message of each user's
//                                 mailboxes, then one {"queue_id","sender","recipients","attempts","last_error","message"} per queue entry
//   store_dump --blobs DATA_DIR   one {"blobs","chunks","orphan_chunks","structures","orphan_structures"}: message
//                                 bodies, their chunks, chunks no body header references (staged for a message
//                                 never committed), the MIME structures kept beside bodies and those whose body is gone
// The store must not be open elsewhere (RocksDB's lock): stop the daemon first.
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include <rocksdb/db.h>

#include "mail/store/db.hpp"
#include "mail/store/keys.hpp"
#include "mail/store/store.hpp"

namespace {

std::string json(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20 || c >= 0x80) {
                // Bytes, not text: \u00XX keeps 8-bit messages exact (Python: .encode("latin-1")).
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string read_all(mxlab::store::Result<mxlab::store::MessageReader> reader) {
    if (!reader) return {};
    std::string all;
    for (;;) {
        auto chunk = reader->next();
        if (!chunk || chunk->empty()) break;
        all += *chunk;
    }
    return all;
}

int dump_blobs(const std::filesystem::path& data_dir) {
    using namespace mxlab::store;
    Db db(data_dir / "store", 8 << 20);
    std::set<BlobId> headers;
    std::unique_ptr<rocksdb::Iterator> it(db.get()->NewIterator({}, db.cf(Cf::blob_meta)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) headers.insert(keys::blob_id(it->key().ToStringView()));
    std::uint64_t chunks = 0, orphans = 0;
    it.reset(db.get()->NewIterator({}, db.cf(Cf::blob_data)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ++chunks;
        if (!headers.count(keys::blob_id(it->key().ToStringView()))) ++orphans;
    }
    std::uint64_t structures = 0, orphan_structures = 0;
    it.reset(db.get()->NewIterator({}, db.cf(Cf::structures)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ++structures;
        if (!headers.count(keys::blob_id(it->key().ToStringView()))) ++orphan_structures;
    }
    std::cout << "{\"blobs\":" << headers.size() << ",\"chunks\":" << chunks << ",\"orphan_chunks\":" << orphans
              << ",\"structures\":" << structures << ",\"orphan_structures\":" << orphan_structures << "}\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace mxlab::store;
    const bool blobs = argc >= 2 && std::string(argv[1]) == "--blobs";
    if (argc < 2 || (blobs && argc != 3)) {
        std::cerr << "usage: store_dump DATA_DIR USER... | store_dump --blobs DATA_DIR\n";
        return 1;
    }
    try {
        if (blobs) return dump_blobs(argv[2]);
        Store store(StoreOptions{std::filesystem::path(argv[1]) / "store"});
        for (int i = 2; i < argc; ++i) {
            std::string user = argv[i];
            auto boxes = store.mailboxes(user);
            if (!boxes) continue;
            for (const auto& box : *boxes) {
                auto msgs = store.messages(user, box.name);
                if (!msgs) continue;
                for (const auto& m : *msgs) {
                    auto raw = store.read_message(user, box.name, m.uid);
                    std::cout << "{\"user\":" << json(user) << ",\"mailbox\":" << json(box.name) << ",\"uid\":" << m.uid
                              << ",\"uidl\":" << json(uidl(box.uidvalidity, m.uid)) << ",\"size\":" << m.size
                              << ",\"message\":" << json(raw ? *raw : std::string()) << "}\n";
                }
            }
        }
        auto queue = store.queue();
        if (queue) {
            for (const auto& q : *queue) {
                std::cout << "{\"queue_id\":" << q.id << ",\"sender\":" << json(q.sender) << ",\"recipients\":[";
                for (std::size_t r = 0; r < q.recipients.size(); ++r)
                    std::cout << (r ? "," : "") << json(q.recipients[r].address);
                std::cout << "],\"attempts\":" << q.attempts << ",\"last_error\":" << json(q.last_error)
                          << ",\"message\":" << json(read_all(store.open_blob(q.blob))) << "}\n";
            }
        }
        store.close();
    } catch (const std::exception& e) {
        std::cerr << "store_dump: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
