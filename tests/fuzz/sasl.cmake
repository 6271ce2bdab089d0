# libFuzzer target for mail/auth/sasl (base64, the PLAIN message and the PLAIN/LOGIN exchanges).
mxlab_fuzz_target(sasl_fuzz ${CMAKE_CURRENT_LIST_DIR}/sasl_fuzz.cpp mxlab_mail_core)
