# DNS: arbitrary bytes as queries to the authoritative responder.
mxlab_fuzz_target(dns_query_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/dns_query_fuzz.cpp mxlab_dns_core)
