// Collecting the server certificate's names from the config and our zones' A, AAAA and CNAME records.
#include "appliance/cert_names.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dns/wire.hpp"

namespace mxlab::appliance {

namespace {

// RFC 952/1123 host names: what a client puts in its server setting.
bool is_host_name(const std::string& name) {
    if (name.empty()) return false;
    std::size_t label = 0;
    for (char c : name) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) return false;
        ++label;
    }
    return label > 0;
}

class NameList {
public:
    void add(std::string name) {
        if (name.empty() || seen_.contains(name)) return;
        seen_.insert(name);
        if (out_.size() >= kMaxCertificateNames) {
            ++left_out_;
            return;
        }
        out_.push_back(std::move(name));
    }
    bool contains(const std::string& name) const { return seen_.contains(name); }
    std::vector<std::string> take() { return std::move(out_); }
    std::size_t left_out() const { return left_out_; }

private:
    std::vector<std::string> out_;
    std::unordered_set<std::string> seen_;
    std::size_t left_out_ = 0;
};

}  // namespace

CertificateNames certificate_names(const config::Config& cfg, const dns::ZoneSet* zones) {
    CertificateNames out;
    auto& addresses = out.names.addresses;
    auto add_address = [&](const config::IpAddr& a) {
        if (!a.is_unspecified() && std::find(addresses.begin(), addresses.end(), a) == addresses.end())
            addresses.push_back(a);
    };
    for (const auto& a : cfg.appliance.addresses) add_address(a);
    for (const auto& a : cfg.appliance.listen) add_address(a);

    NameList names;
    names.add(cfg.appliance.hostname);
    for (const auto& d : cfg.domains)
        if (d.mail) names.add(d.mx);

    if (zones) {
        // CNAMEs are kept for a second pass: whether one counts depends on
        // names found later in canonical order.
        std::vector<std::pair<std::string, std::string>> cnames;
        for (const auto& rrset : zones->rrsets) {
            if (rrset.type != dns::rrtype::A && rrset.type != dns::rrtype::AAAA && rrset.type != dns::rrtype::CNAME)
                continue;
            std::string owner = dns::name_to_host(zones->owner(rrset));
            if (!is_host_name(owner)) continue;
            zones->for_each_rdata(rrset, [&](std::span<const std::uint8_t> rdata) {
                if (rrset.type == dns::rrtype::CNAME) {
                    cnames.emplace_back(owner, dns::name_to_host(rdata));
                    return;
                }
                config::IpAddr a;
                a.v6 = rrset.type == dns::rrtype::AAAA;
                if (rdata.size() != (a.v6 ? 16u : 4u)) return;
                std::copy(rdata.begin(), rdata.end(), a.bytes.begin());
                if (std::find(addresses.begin(), addresses.end(), a) != addresses.end()) names.add(owner);
            });
        }
        // A chain (alias -> alias -> host) is found one link per pass; each
        // pass that adds nothing ends it, so at most cnames.size() + 1 passes.
        for (bool added = true; added;) {
            added = false;
            for (auto& [owner, target] : cnames) {
                if (owner.empty() || !names.contains(target)) continue;
                names.add(std::move(owner));
                owner.clear();
                added = true;
            }
        }
    }
    out.left_out = names.left_out();
    out.names.dns = names.take();
    return out;
}

}  // namespace mxlab::appliance
