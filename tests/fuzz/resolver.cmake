# Resolver: arbitrary bytes as a server's reply to the mail side's resolver (parse_reply, judge).
mxlab_fuzz_target(resolver_reply_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/resolver_reply_fuzz.cpp mxlab_dns_core)
