# DNS: arbitrary bytes as queries to the authoritative responder.
mxlab_fuzz_target(dns_query_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/dns_query_fuzz.cpp mxlab_dns_core)
target_sources(dns_query_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/dns/dns_test_util.cpp)
target_link_libraries(dns_query_fuzz PRIVATE PkgConfig::LDNS)
