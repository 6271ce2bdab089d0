// Encoding and bounds-checked decoding of the store's records (see records.hpp).
#include "mail/store/records.hpp"

#include "mail/store/keys.hpp"

namespace mxlab::store {

namespace {

constexpr std::uint8_t version1 = 1;
constexpr std::uint8_t version2 = 2;

class Encoder {
public:
    explicit Encoder(std::uint8_t version) { out_.push_back(static_cast<char>(version)); }
    Encoder& u(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<char>(v));
        return *this;
    }
    Encoder& s(std::int64_t v) { return u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
    Encoder& str(std::string_view v) {
        u(v.size());
        out_.append(v);
        return *this;
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

// Every read fails (and stays failed) past the end, so a decoder reads all
// fields and checks ok() once.
class Decoder {
public:
    explicit Decoder(std::string_view in, std::uint8_t newest = version1) : in_(in) {
        if (in_.empty() || static_cast<std::uint8_t>(in_[0]) < version1 || static_cast<std::uint8_t>(in_[0]) > newest) ok_ = false;
        else version_ = static_cast<std::uint8_t>(in_[0]);
        pos_ = 1;
    }
    std::uint8_t version() const { return version_; }
    std::uint64_t u() {
        std::uint64_t v = 0;
        for (int shift = 0; ok_ && shift < 64; shift += 7) {
            if (pos_ >= in_.size()) break;
            auto b = static_cast<std::uint8_t>(in_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        ok_ = false;
        return 0;
    }
    std::int64_t s() {
        std::uint64_t z = u();
        return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
    std::uint32_t u32() {
        std::uint64_t v = u();
        if (v > 0xffffffffu) ok_ = false;
        return static_cast<std::uint32_t>(v);
    }
    std::string str() {
        std::uint64_t n = u();
        if (!ok_ || n > in_.size() - pos_) {
            ok_ = false;
            return {};
        }
        std::string v(in_.substr(pos_, n));
        pos_ += n;
        return v;
    }
    bool ok() const { return ok_; }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
    std::uint8_t version_ = 0;
};

}  // namespace

std::string encode(const MailboxRecord& r) {
    Encoder e(version2);
    e.u(r.id).u(r.uidvalidity).u(r.uidnext).u(r.highest_modseq).u(r.messages).u(r.unseen).u(r.size);
    e.u(r.expunged).u(r.vanished_floor);
    return e.take();
}

std::optional<MailboxRecord> decode_mailbox(std::string_view v) {
    Decoder d(v, version2);
    MailboxRecord r;
    r.version = d.version();
    r.id = d.u();
    r.uidvalidity = d.u32();
    r.uidnext = d.u32();
    r.highest_modseq = d.u();
    r.messages = d.u32();
    r.unseen = d.u32();
    r.size = d.u();
    if (r.version >= version2) {
        r.expunged = d.u32();
        r.vanished_floor = d.u();
    }
    if (!d.ok()) return std::nullopt;
    return r;
}

std::string encode(const MessageInfo& m) {
    Encoder e(version1);
    e.u(m.flags.system).u(m.flags.keywords.size());
    for (const auto& k : m.flags.keywords) e.str(k);
    return e.s(m.internal_date.time_since_epoch().count()).s(m.zone_minutes).u(m.size).u(m.blob).u(m.modseq).take();
}

std::optional<MessageInfo> decode_message(std::string_view v, Uid uid) {
    Decoder d(v);
    MessageInfo m;
    m.uid = uid;
    m.flags.system = static_cast<std::uint8_t>(d.u());
    std::uint64_t n = d.u();
    for (std::uint64_t i = 0; d.ok() && i < n; ++i) m.flags.keywords.push_back(d.str());
    m.internal_date = Time(std::chrono::seconds(d.s()));
    m.zone_minutes = static_cast<std::int16_t>(d.s());
    m.size = d.u();
    m.blob = d.u();
    m.modseq = d.u();
    if (!d.ok()) return std::nullopt;
    return m;
}

std::string encode_keywords(const std::vector<std::string>& keywords) {
    Encoder e(version1);
    e.u(keywords.size());
    for (const auto& k : keywords) e.str(k);
    return e.take();
}

std::optional<std::vector<std::string>> decode_keywords(std::string_view v) {
    Decoder d(v);
    std::vector<std::string> out;
    std::uint64_t n = d.u();
    for (std::uint64_t i = 0; d.ok() && i < n; ++i) out.push_back(d.str());
    if (!d.ok()) return std::nullopt;
    return out;
}

std::string encode(const BlobHeader& h) { return Encoder(version1).u(h.size).u(h.chunk_size).u(h.chunks).u(h.refcount).take(); }

std::optional<BlobHeader> decode_blob_header(std::string_view v) {
    Decoder d(v);
    BlobHeader h;
    h.size = d.u();
    h.chunk_size = d.u32();
    h.chunks = d.u32();
    h.refcount = d.u();
    if (!d.ok() || (h.chunks > 0 && h.chunk_size == 0)) return std::nullopt;
    return h;
}

std::string encode(const QueueEntry& e) {
    Encoder x(version1);
    x.str(e.sender).u(e.recipients.size());
    for (const auto& r : e.recipients) x.str(r.address).u(static_cast<std::uint8_t>(r.state)).str(r.last_error);
    return x.s(e.created.time_since_epoch().count())
        .s(e.next_try.time_since_epoch().count())
        .u(e.attempts)
        .str(e.last_error)
        .u(e.blob)
        .u(e.size)
        .take();
}

std::optional<QueueEntry> decode_queue(std::string_view v, QueueId id) {
    Decoder d(v);
    QueueEntry e;
    e.id = id;
    e.sender = d.str();
    std::uint64_t n = d.u();
    for (std::uint64_t i = 0; d.ok() && i < n; ++i) {
        QueueRecipient r;
        r.address = d.str();
        std::uint64_t state = d.u();
        if (state > static_cast<std::uint64_t>(RecipientState::bounced)) return std::nullopt;
        r.state = static_cast<RecipientState>(state);
        r.last_error = d.str();
        e.recipients.push_back(std::move(r));
    }
    e.created = Time(std::chrono::seconds(d.s()));
    e.next_try = Time(std::chrono::seconds(d.s()));
    e.attempts = d.u32();
    e.last_error = d.str();
    e.blob = d.u();
    e.size = d.u();
    if (!d.ok()) return std::nullopt;
    return e;
}

std::optional<std::uint64_t> decode_counter(std::string_view v) {
    if (v.size() != 8) return std::nullopt;
    return keys::get_be(v, 0, 8);
}

}  // namespace mxlab::store
