// Zone transfers: AXFR (RFC 5936) and IXFR answered as NSD 4.6 does without IXFR data (RFC 1995).
#include <algorithm>

#include "dns/responder_state.hpp"
#include "dns/serials.hpp"

namespace mxlab::dns {

std::span<const std::uint8_t> Responder::State::transfer(const ZoneSet& zs, std::span<const std::uint8_t> query,
                                                         const QueryContext& ctx) {
    // NSD answers AXFR over UDP with NOTIMP.
    if (ctx.transport == Transport::udp && req.qtype == rrtype::AXFR)
        return question_only(query, req.keep, rcode::notimp);
    const std::uint32_t node = zs.find(qname.wire());
    if (node == ZoneSet::none || zs.zones[zs.nodes[node].zone].apex != node)
        return question_only(query, req.keep, rcode::notauth);
    const bool allowed = std::any_of(zs.allow_transfer.begin(), zs.allow_transfer.end(),
                                     [&](const config::Cidr& c) { return c.contains(ctx.client); });
    if (!allowed) return question_only(query, req.keep, rcode::refused, ede::prohibited);

    const std::uint32_t zone = zs.nodes[node].zone;
    const ZoneSet::Zone& Z = zs.zones[zone];
    if (req.qtype == rrtype::IXFR) {
        if (!req.has_soa) return header_only(req.keep, rcode::formerr);
        // Without IXFR history the choice is the SOA alone (client up to date,
        // or UDP: "use TCP") or everything (RFC 1995 4).
        if (ctx.transport == Transport::udp || !SerialStore::serial_greater(Z.serial, req.client_serial)) {
            std::uint8_t* o = out.get();
            std::memcpy(o + header_size, query.data() + header_size, req.question_end - header_size);
            compressor.reset();
            compressor.insert_all(qname, header_size);
            Writer w(o, max_message, req.question_end, compressor);
            const ZoneSet::RRset& soa = zs.rrsets[Z.soa];
            w.put_rrset(zs, zs.names.data() + soa.owner, soa.owner_len, soa);
            std::size_t end = w.pos();
            if (req.edns) end += put_opt(end, 0, 0);
            return finish(end, flag::qr | flag::aa | req.keep, 1, soa.count, 0, req.edns ? 1 : 0);
        }
    }

    xfr = {};
    xfr.active = true;
    xfr.zones = &zs;
    xfr.zone = zone;
    xfr.phase = Transfer::Phase::soa_first;
    xfr.id = req.id;
    xfr.keep = req.keep;
    xfr.question_len = req.question_end - header_size;
    std::memcpy(xfr.question.data(), query.data() + header_size, xfr.question_len);
    xfr.qname = qname;
    return next_transfer_message(zs);
}

std::span<const std::uint8_t> Responder::State::next_transfer_message(const ZoneSet& zs) {
    if (!xfr.active || xfr.zones != &zs) {
        xfr.active = false;
        return {};
    }
    const ZoneSet::Zone& Z = zs.zones[xfr.zone];
    std::uint8_t* o = out.get();
    compressor.reset();
    std::size_t pos = header_size;
    std::uint16_t qd = 0;
    if (xfr.first) {
        // RFC 5936 2.2: the question in the first message only.
        std::memcpy(o + header_size, xfr.question.data(), xfr.question_len);
        compressor.insert_all(xfr.qname, header_size);
        pos += xfr.question_len;
        qd = 1;
    }
    Writer w(o, max_message, pos, compressor);
    std::uint16_t an = 0;
    // Fill up to ~16 KB; a single larger RR gets a message of its own.
    auto put = [&](const ZoneSet::RRset& r, std::span<const std::uint8_t> rd) {
        if (an > 0 && w.pos() + r.owner_len + 10 + rd.size() > transfer_message) return false;
        if (an == 0xFFFF) return false;
        if (!w.put_rr(zs.names.data() + r.owner, r.owner_len, r.type, rrclass::IN, r.ttl, rd)) return false;
        ++an;
        return true;
    };
    const ZoneSet::RRset& soa = zs.rrsets[Z.soa];
    const std::span<const std::uint8_t> soa_rdata(zs.rdata.data() + soa.rdata + 2, get16(zs.rdata.data() + soa.rdata));
    bool full = false;
    while (!full && xfr.phase != Transfer::Phase::done) {
        switch (xfr.phase) {
            case Transfer::Phase::soa_first:
                if (!put(soa, soa_rdata)) {
                    full = true;
                    break;
                }
                xfr.phase = Transfer::Phase::records;
                xfr.rrset = Z.rrsets_begin;
                xfr.rr = 0;
                xfr.rdata_off = zs.rrsets[xfr.rrset].rdata;
                break;
            case Transfer::Phase::records:
                while (!full && xfr.rrset < Z.rrsets_end) {
                    const ZoneSet::RRset& r = zs.rrsets[xfr.rrset];
                    if (xfr.rrset == Z.soa || xfr.rr >= r.count) {
                        ++xfr.rrset;
                        xfr.rr = 0;
                        if (xfr.rrset < Z.rrsets_end) xfr.rdata_off = zs.rrsets[xfr.rrset].rdata;
                        continue;
                    }
                    const std::uint16_t len = get16(zs.rdata.data() + xfr.rdata_off);
                    const std::span<const std::uint8_t> rd(zs.rdata.data() + xfr.rdata_off + 2, len);
                    if (!put(r, rd)) {
                        // Too big even alone (cannot happen with RDATA <= 65535
                        // and owner <= 255, but never loop forever): skip it.
                        if (an == 0) {
                            ++xfr.rr;
                            xfr.rdata_off += 2u + len;
                            continue;
                        }
                        full = true;
                        break;
                    }
                    ++xfr.rr;
                    xfr.rdata_off += 2u + len;
                }
                if (!full) xfr.phase = Transfer::Phase::soa_last;
                break;
            case Transfer::Phase::soa_last:
                if (!put(soa, soa_rdata)) {
                    full = true;
                    break;
                }
                xfr.phase = Transfer::Phase::done;
                break;
            case Transfer::Phase::done:
                break;
        }
    }
    xfr.first = false;
    if (xfr.phase == Transfer::Phase::done) xfr.active = false;
    std::span<const std::uint8_t> msg = {o, w.pos()};
    req.id = xfr.id;
    finish(w.pos(), static_cast<std::uint16_t>(flag::qr | flag::aa | xfr.keep), qd, an, 0, 0);
    return msg;
}

}  // namespace mxlab::dns
