// Owning pointers for ldns objects: the deleters.
#include "dns/ldns_ptr.hpp"

#include <cstdlib>

#include "core/ldns.hpp"

namespace mxlab::dns {

void LdnsDelete::operator()(ldns_struct_rr* p) const { ldns_rr_free(p); }
void LdnsDelete::operator()(ldns_struct_rdf* p) const { ldns_rdf_deep_free(p); }
void LdnsDelete::operator()(ldns_struct_buffer* p) const { ldns_buffer_free(p); }
void LdnsDelete::operator()(ldns_struct_zone* p) const { ldns_zone_deep_free(p); }
void LdnsDelete::operator()(ldns_struct_pkt* p) const { ldns_pkt_free(p); }
void LdnsDelete::operator()(char* p) const { std::free(p); }

}  // namespace mxlab::dns
