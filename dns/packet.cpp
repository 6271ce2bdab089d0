// Wire encoding with name compression, and truncation at RRset boundaries (see packet.hpp).
#include "dns/packet.hpp"

namespace mxlab::dns {

void Writer::put_name(const std::uint8_t* name, std::size_t len, bool compress) {
    if (!compress) {
        std::memcpy(buf_ + pos_, name, len);
        pos_ += len;
        return;
    }
    std::array<std::uint8_t, max_labels> offsets;
    std::size_t labels = 0;
    for (std::size_t o = 0; name[o] != 0; o += name[o] + 1) offsets[labels++] = static_cast<std::uint8_t>(o);
    std::array<std::uint64_t, max_labels> hashes;
    Compressor::suffix_hashes(name, offsets.data(), labels, hashes.data());
    std::size_t match_at = len;  // where the already-written suffix starts (len: none)
    std::size_t matched_label = labels;
    int target = -1;
    for (std::size_t i = 0; i < labels; ++i) {
        target = c_.find(name + offsets[i], len - offsets[i], hashes[i]);
        if (target >= 0) {
            match_at = offsets[i];
            matched_label = i;
            break;
        }
    }
    const std::size_t start = pos_;
    const std::size_t literal = target >= 0 ? match_at : len;
    std::memcpy(buf_ + pos_, name, literal);
    pos_ += literal;
    for (std::size_t i = 0; i < matched_label; ++i)
        c_.insert(name + offsets[i], len - offsets[i], hashes[i], start + offsets[i]);
    if (target >= 0) {
        put16(buf_ + pos_, static_cast<std::uint16_t>(0xC000 | target));
        pos_ += 2;
    }
}

bool Writer::put_rr(const std::uint8_t* owner, std::size_t owner_len, std::uint16_t type, std::uint16_t rrclass,
                    std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
    if (pos_ + owner_len + 10 + rdata.size() > cap_) return false;
    put_name(owner, owner_len, true);
    std::uint8_t* p = buf_ + pos_;
    put16(p, type);
    put16(p + 2, rrclass);
    put32(p + 4, ttl);
    pos_ += 10;
    const std::size_t rd_start = pos_;
    const RdataNames layout = rdata_names(type);
    if (layout.compress) {
        std::size_t at = layout.prefix;
        std::memcpy(buf_ + pos_, rdata.data(), at);
        pos_ += at;
        for (int i = 0; i < layout.count; ++i) {
            const std::size_t n = wire_name_length(rdata.data() + at);
            put_name(rdata.data() + at, n, true);
            at += n;
        }
        std::memcpy(buf_ + pos_, rdata.data() + at, rdata.size() - at);
        pos_ += rdata.size() - at;
    } else {
        std::memcpy(buf_ + pos_, rdata.data(), rdata.size());
        pos_ += rdata.size();
    }
    put16(buf_ + rd_start - 2, static_cast<std::uint16_t>(pos_ - rd_start));
    return true;
}

std::size_t Writer::worst_size(std::size_t owner_len, const ZoneSet::RRset& r, const ZoneSet& zs) {
    std::size_t n = 0;
    zs.for_each_rdata(r, [&](std::span<const std::uint8_t> rd) { n += owner_len + 10 + rd.size(); });
    return n;
}

bool Writer::put_rrset(const ZoneSet& zs, const std::uint8_t* owner, std::size_t owner_len, const ZoneSet::RRset& r) {
    if (pos_ + worst_size(owner_len, r, zs) > cap_) return false;
    zs.for_each_rdata(
        r, [&](std::span<const std::uint8_t> rd) { put_rr(owner, owner_len, r.type, rrclass::IN, r.ttl, rd); });
    return true;
}

void encode_plan(const ZoneSet& zs, const Plan& plan, Writer& w, Encoded& out) {
    out.an = out.ns = out.ar = 0;
    out.cut_count = 0;
    out.incomplete = false;
    const std::size_t body_start = w.pos();
    static constexpr Section order[] = {Section::answer, Section::authority, Section::optional_authority,
                                        Section::additional_a, Section::additional_aaaa};
    for (Section section : order) {
        for (std::size_t i = 0; i < plan.count; ++i) {
            const PlanItem& item = plan.items[i];
            if (item.section != section) continue;
            const ZoneSet::RRset& r = zs.rrsets[item.rrset];
            if (!w.put_rrset(zs, item.owner, item.owner_len, r)) {
                // Past 64 KB: what is required makes it TC even over TCP; the
                // rest is left out (NSD does the same with its packet size).
                out.incomplete = section == Section::answer || section == Section::authority;
                out.body_len = w.pos() - body_start;
                return;
            }
            switch (section) {
                case Section::answer:
                    out.an += r.count;
                    break;
                case Section::authority:
                case Section::optional_authority:
                    out.ns += r.count;
                    break;
                default:
                    out.ar += r.count;
                    break;
            }
            out.cuts[out.cut_count++] = {static_cast<std::uint16_t>(w.pos() - body_start), out.an, out.ns, out.ar};
        }
    }
    out.body_len = w.pos() - body_start;
}

Fit fit_body(std::span<const ZoneSet::Cut> cuts, std::size_t body_len, std::uint16_t an, std::uint16_t ns,
             std::uint16_t ar, bool authority_required, bool incomplete, std::size_t avail) {
    if (incomplete) return {0, 0, 0, 0, true};
    if (body_len <= avail) return {body_len, an, ns, ar, false};
    ZoneSet::Cut best{};
    for (const ZoneSet::Cut& c : cuts) {
        if (c.end > avail) break;
        best = c;
    }
    if (best.an < an) return {0, 0, 0, 0, true};
    if (best.ns < ns) {
        if (authority_required) return {0, 0, 0, 0, true};
        // Optional authority (the NS of a positive answer) goes, and with it
        // the additional data after it: the answer alone.
        for (const ZoneSet::Cut& c : cuts) {
            if (c.ns != 0 || c.ar != 0) break;
            best = c;
        }
        return {best.end, best.an, 0, 0, false};
    }
    return {best.end, best.an, best.ns, best.ar, false};
}

}  // namespace mxlab::dns
