// Owning pointers for ldns objects, declared without including ldns (its bool macros must stay out of headers).
#pragma once

#include <memory>

struct ldns_struct_rr;
struct ldns_struct_rdf;
struct ldns_struct_buffer;
struct ldns_struct_zone;
struct ldns_struct_pkt;

namespace mxlab::dns {

struct LdnsDelete {
    void operator()(ldns_struct_rr* p) const;
    void operator()(ldns_struct_rdf* p) const;
    void operator()(ldns_struct_buffer* p) const;
    void operator()(ldns_struct_zone* p) const;
    void operator()(ldns_struct_pkt* p) const;
    void operator()(char* p) const;  // strings ldns allocates (ldns_rr2str and friends)
};

using LdnsRr = std::unique_ptr<ldns_struct_rr, LdnsDelete>;
using LdnsRdf = std::unique_ptr<ldns_struct_rdf, LdnsDelete>;
using LdnsBuffer = std::unique_ptr<ldns_struct_buffer, LdnsDelete>;
using LdnsZone = std::unique_ptr<ldns_struct_zone, LdnsDelete>;
using LdnsPkt = std::unique_ptr<ldns_struct_pkt, LdnsDelete>;
using LdnsString = std::unique_ptr<char, LdnsDelete>;

}  // namespace mxlab::dns
