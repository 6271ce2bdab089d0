// Compiles zone content into the answer table: arenas, nodes, name index, precompiled answers.
#include "dns/table.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "dns/answer.hpp"
#include "dns/packet.hpp"
#include "mxlab_version.hpp"

namespace mxlab::dns {

namespace {

std::string_view key_of(std::span<const std::uint8_t> name) {
    return {reinterpret_cast<const char*>(name.data()), name.size()};
}

class Compiler {
public:
    Compiler(const std::vector<ZoneData>& data, ZoneSet& zs) : data_(data), zs_(zs) {
        for (std::size_t i = 0; i < data.size(); ++i)
            apexes_.emplace(key_of(data[i].apex), static_cast<std::uint16_t>(i));
    }

    void run() {
        layout_rrsets();
        make_nodes();
        link_nodes();
        precompile();
    }

private:
    // The deepest served zone that contains `name` (its answers come from
    // there, as NSD picks the closest zone), or -1.
    int deepest_zone(std::span<const std::uint8_t> name) const {
        if (data_.size() == 1) return 0;
        for (std::size_t o = 0; o < name.size(); o += name[o] + 1) {
            const auto it = apexes_.find(key_of(name.subspan(o)));
            if (it != apexes_.end()) return it->second;
            if (name[o] == 0) break;
        }
        return -1;
    }

    std::uint32_t append_name(std::span<const std::uint8_t> name) {
        const auto off = static_cast<std::uint32_t>(zs_.names.size());
        zs_.names.insert(zs_.names.end(), name.begin(), name.end());
        return off;
    }

    // Per zone: RRsets in canonical owner order (SOA first at the apex, then
    // as written), so a node's RRsets are contiguous and AXFR is in order.
    void layout_rrsets() {
        std::size_t bytes = 0, records = 0;
        for (const ZoneData& z : data_) bytes += z.bytes.size(), records += z.records.size();
        zs_.names.reserve(bytes / 2);
        zs_.rdata.reserve(bytes / 2 + records * 2);
        zs_.rrsets.reserve(records + data_.size());
        for (const ZoneData& z : data_) {
            ZoneSet::Zone Z;
            Z.name = z.name;
            Z.name_off = append_name(z.apex);
            Z.name_len = static_cast<std::uint8_t>(z.apex.size());
            Z.serial = z.serial;
            Z.content_hash = z.content_hash;
            Z.rrsets_begin = static_cast<std::uint32_t>(zs_.rrsets.size());
            std::uint32_t owner_off = 0;
            const std::size_t n = z.records.size();
            for (std::size_t i = 0; i < n;) {
                std::size_t j = i + 1;
                while (j < n && z.same_rrset(z.records[i], z.records[j])) ++j;
                const RecordData& r = z.records[i];
                const auto owner = z.owner(r);
                if (i > 0 && std::ranges::equal(owner, z.owner(z.records[i - 1])))
                    ;  // same owner as the RRset before: same bytes in `names`
                else if (std::ranges::equal(owner, z.apex))
                    owner_off = Z.name_off;
                else
                    owner_off = append_name(owner);
                ZoneSet::RRset R;
                R.owner = owner_off;
                R.owner_len = r.owner_len;
                R.type = r.type;
                R.ttl = r.ttl;
                R.count = static_cast<std::uint16_t>(j - i);
                R.rdata = static_cast<std::uint32_t>(zs_.rdata.size());
                for (std::size_t k = i; k < j; ++k) {
                    const auto rd = z.rdata(z.records[k]);
                    std::uint8_t len[2];
                    put16(len, static_cast<std::uint16_t>(rd.size()));
                    zs_.rdata.insert(zs_.rdata.end(), len, len + 2);
                    zs_.rdata.insert(zs_.rdata.end(), rd.begin(), rd.end());
                }
                const auto idx = static_cast<std::uint32_t>(zs_.rrsets.size());
                if (owner_off == Z.name_off && r.type == rrtype::SOA) Z.soa = idx;
                if (owner_off == Z.name_off && r.type == rrtype::NS) Z.ns = idx;
                Z.records += R.count;
                zs_.rrsets.push_back(R);
                i = j;
            }
            Z.rrsets_end = static_cast<std::uint32_t>(zs_.rrsets.size());
            zs_.zones.push_back(std::move(Z));
        }
        // The SOA as negative answers carry it (RFC 2308 section 3), kept
        // outside every zone's range so AXFR does not see it.
        for (ZoneSet::Zone& Z : zs_.zones) {
            if (Z.soa == ZoneSet::none) continue;
            ZoneSet::RRset neg = zs_.rrsets[Z.soa];
            const std::uint16_t len = get16(zs_.rdata.data() + neg.rdata);
            const std::uint32_t minimum = get32(zs_.rdata.data() + neg.rdata + 2 + len - 4);
            neg.ttl = std::min(neg.ttl, minimum);
            Z.soa_negative = static_cast<std::uint32_t>(zs_.rrsets.size());
            zs_.rrsets.push_back(neg);
        }
    }

    // The node of this name, made when new; the name index grows with the nodes.
    std::uint32_t node_for(std::span<const std::uint8_t> name, std::uint16_t zone) {
        const std::uint64_t h = hash_bytes(name.data(), name.size());
        const std::uint32_t found = zs_.find(name.data(), name.size(), h);
        if (found != ZoneSet::none) return found;
        const auto n = static_cast<std::uint32_t>(zs_.nodes.size());
        ZoneSet::Node node;
        node.name = static_cast<std::uint32_t>(name.data() - zs_.names.data());
        node.name_len = static_cast<std::uint8_t>(name.size());
        node.zone = zone;
        zs_.nodes.push_back(node);
        if ((zs_.nodes.size()) * 2 > zs_.index.size()) {
            grow_index();
        } else {
            index_insert(n, h);
        }
        return n;
    }

    void index_insert(std::uint32_t n, std::uint64_t h) {
        std::uint64_t i = h & zs_.index_mask;
        while (zs_.index[i] != 0) i = (i + 1) & zs_.index_mask;
        zs_.index[i] = (h >> 32 << 32) | (n + 1u);
    }

    // Room for twice `expected` nodes (and the ones there are), rehashed.
    void grow_index(std::size_t expected = 0) {
        std::size_t cap = zs_.index.empty() ? 1024 : zs_.index.size();
        while (cap < std::max(zs_.nodes.size(), expected) * 2) cap *= 2;
        zs_.index.assign(cap, 0);
        zs_.index_mask = cap - 1;
        for (std::uint32_t n = 0; n < zs_.nodes.size(); ++n) {
            const auto name = zs_.node_name(zs_.nodes[n]);
            index_insert(n, hash_bytes(name.data(), name.size()));
        }
    }

    // A node per owner and per empty non-terminal between it and the apex,
    // in the deepest zone holding the name (a parent zone's data at or below
    // a child zone's apex is shadowed, as in NSD; it still goes out in AXFR).
    void make_nodes() {
        zs_.nodes.reserve(zs_.rrsets.size() + 16);
        // Sized for every owner at once: growing by doubling from the
        // smallest size rehashed a 100,000-name zone some 8 times over.
        std::size_t owners = 0;
        for (const ZoneSet::Zone& Z : zs_.zones)
            for (std::uint32_t i = Z.rrsets_begin; i < Z.rrsets_end; ++i)
                owners += i == Z.rrsets_begin || zs_.rrsets[i - 1].owner != zs_.rrsets[i].owner;
        grow_index(owners);
        for (std::uint16_t zi = 0; zi < zs_.zones.size(); ++zi) {
            const ZoneSet::Zone& Z = zs_.zones[zi];
            std::uint32_t current = ZoneSet::none;  // the node of the owner being read, none when shadowed
            for (std::uint32_t i = Z.rrsets_begin; i < Z.rrsets_end; ++i) {
                const ZoneSet::RRset& r = zs_.rrsets[i];
                if (i > Z.rrsets_begin && zs_.rrsets[i - 1].owner == r.owner) {
                    if (current != ZoneSet::none) ++zs_.nodes[current].rrset_count;
                    continue;
                }
                const auto owner = zs_.owner(r);
                current = ZoneSet::none;
                if (deepest_zone(owner) != zi) continue;
                const std::uint32_t n = node_for(owner, zi);
                current = n;
                zs_.nodes[n].rrsets = i;
                zs_.nodes[n].rrset_count = 1;
                for (std::size_t o = owner[0] + 1u; owner.size() - o >= Z.name_len; o += owner[o] + 1u)
                    node_for(owner.subspan(o), zi);
            }
        }
    }

    void link_nodes() {
        for (ZoneSet::Zone& Z : zs_.zones) Z.apex = zs_.find(zs_.zone_name(Z));
        // Parents are shorter names: visiting by length sees a parent first.
        std::vector<std::uint32_t> by_len(zs_.nodes.size());
        std::iota(by_len.begin(), by_len.end(), 0u);
        std::stable_sort(by_len.begin(), by_len.end(), [&](std::uint32_t a, std::uint32_t b) {
            return zs_.nodes[a].name_len < zs_.nodes[b].name_len;
        });
        for (std::uint32_t n : by_len) {
            ZoneSet::Node& node = zs_.nodes[n];
            const ZoneSet::Zone& Z = zs_.zones[node.zone];
            if (node.name_len == Z.name_len) continue;  // the apex
            const auto name = zs_.node_name(node);
            const std::uint32_t parent = zs_.find(name.subspan(name[0] + 1u));
            if (parent == ZoneSet::none) continue;  // cannot happen: every ancestor got a node
            node.parent = parent;
            ZoneSet::Node& p = zs_.nodes[node.parent];
            if (name[0] == 1 && name[1] == '*') p.wildcard = n;
            // NSD domain_find_ns_rrsets: the highest NS below the apex.
            if (p.cut != ZoneSet::none)
                node.cut = p.cut;
            else if (zs_.find_rrset(node, rrtype::NS) != ZoneSet::none)
                node.cut = n;
        }
    }

    void precompile_one(const Name& qname, std::uint16_t qtype) {
        plan_answer(zs_, qname, qtype, rrclass::IN, *plan_);
        compressor_->reset();
        compressor_->insert_all(qname, header_size);
        const std::size_t body_start = header_size + qname.len + 4;
        Writer w(buf_.data(), max_message, body_start, *compressor_);
        encode_plan(zs_, *plan_, w, *encoded_);
        ZoneSet::Precompiled p;
        p.qtype = qtype;
        p.body = static_cast<std::uint32_t>(zs_.bodies.size());
        p.body_len = static_cast<std::uint16_t>(encoded_->body_len);
        zs_.bodies.insert(zs_.bodies.end(), buf_.begin() + static_cast<std::ptrdiff_t>(body_start),
                          buf_.begin() + static_cast<std::ptrdiff_t>(body_start + encoded_->body_len));
        p.an = encoded_->an;
        p.ns = encoded_->ns;
        p.ar = encoded_->ar;
        p.rcode = plan_->rcode;
        p.aa = plan_->aa;
        p.authority_required = plan_->authority_required;
        p.incomplete = encoded_->incomplete;
        // Cut points are needed only when the reply can exceed the smallest
        // limit (512 with an 11-byte OPT).
        if (body_start + encoded_->body_len + 11 > 512) {
            p.cuts = static_cast<std::uint32_t>(zs_.cuts.size());
            p.cut_count = static_cast<std::uint16_t>(encoded_->cut_count);
            zs_.cuts.insert(zs_.cuts.end(), encoded_->cuts.begin(),
                            encoded_->cuts.begin() + static_cast<std::ptrdiff_t>(encoded_->cut_count));
        }
        zs_.answers.push_back(p);
    }

    void precompile() {
        buf_.assign(max_message, 0);
        compressor_ = std::make_unique<Compressor>();
        plan_ = std::make_unique<Plan>();
        encoded_ = std::make_unique<Encoded>();
        Name qname;
        for (ZoneSet::Node& node : zs_.nodes) {
            node.answers = static_cast<std::uint32_t>(zs_.answers.size());
            name_from_wire(zs_.node_name(node), qname);
            if (node.cut != ZoneSet::none) {
                // Any qtype but DS at the cut itself gets this referral.
                precompile_one(qname, rrtype::A);
                node.referral = true;
            } else {
                for (std::uint32_t i = node.rrsets; i < node.rrsets + node.rrset_count; ++i)
                    precompile_one(qname, zs_.rrsets[i].type);
            }
            node.answer_count = static_cast<std::uint8_t>(zs_.answers.size() - node.answers);
        }
        buf_.clear();
        buf_.shrink_to_fit();
    }

    const std::vector<ZoneData>& data_;
    ZoneSet& zs_;
    std::unordered_map<std::string_view, std::uint16_t> apexes_;  // into data_
    std::vector<std::uint8_t> buf_;
    std::unique_ptr<Compressor> compressor_;
    std::unique_ptr<Plan> plan_;
    std::unique_ptr<Encoded> encoded_;
};

}  // namespace

std::shared_ptr<ZoneSet> compile_zones(const std::vector<ZoneData>& zones, const config::Config& cfg) {
    auto zs = std::make_shared<ZoneSet>();
    Compiler(zones, *zs).run();
    zs->allow_transfer = cfg.dns.allow_transfer;
    zs->recursion = cfg.dns.recursion;
    for (const auto& r : cfg.dns.resolvers) zs->upstreams.push_back(r.addr);
    zs->hostname = cfg.appliance.hostname;
    zs->version = std::string("mxlab ") + MXLAB_VERSION;
    zs->names.shrink_to_fit();
    zs->rdata.shrink_to_fit();
    zs->rrsets.shrink_to_fit();
    zs->nodes.shrink_to_fit();
    zs->answers.shrink_to_fit();
    zs->bodies.shrink_to_fit();
    zs->cuts.shrink_to_fit();
    return zs;
}

}  // namespace mxlab::dns
