# DNS over TCP: a byte stream framed by 2-byte lengths, answered (AXFR continuations included) as dns/tcp_server.cpp does; replies checked with ldns.
mxlab_fuzz_target(dns_tcp_framing_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/dns_tcp_framing_fuzz.cpp mxlab_dns_core PkgConfig::LDNS)
target_sources(dns_tcp_framing_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/dns/dns_test_util.cpp)
