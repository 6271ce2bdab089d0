// Which names and addresses the lab CA's server certificate must carry: every one a client may be told to use.
//
// Reads appliance.hostname, appliance.addresses, appliance.listen and each
// mail domain's mx (DESIGN.md sections 2 and 3), and the records of our own
// zones. Pure: the same config and zones give the same names, in the same order.
#pragma once

#include <cstddef>

#include "appliance/certificates.hpp"
#include "config/config.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::appliance {

// A certificate this large is what a client refuses (OpenSSL's default
// limit on a peer's certificate list is 100 KiB), and a hundred names is what
// public CAs allow: a zone with thousands of names on our address gets the
// first ones.
inline constexpr std::size_t kMaxCertificateNames = 100;

struct CertificateNames {
    ServerNames names;
    std::size_t left_out = 0;  // DNS names past kMaxCertificateNames
};

// DNS names, in this order without duplicates: appliance.hostname, the mx of
// each mail domain, then from `zones` (null: none) every owner of an A or AAAA
// record holding one of the appliance's addresses, then every owner of a
// CNAME whose target is one of the names so far (a chain counts link by link).
// Wildcard owners and names that are not hostnames (labels other than
// letters, digits and '-', such as _dmarc) are skipped: no client connects to
// them. Addresses: appliance.addresses, then the listen addresses that are
// not 0.0.0.0 or ::, without duplicates.
CertificateNames certificate_names(const config::Config& cfg, const dns::ZoneSet* zones);

}  // namespace mxlab::appliance
