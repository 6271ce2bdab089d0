# libFuzzer target for mail/auth/password (stored-password parsing, checking and verification).
mxlab_fuzz_target(password_fuzz ${CMAKE_CURRENT_LIST_DIR}/password_fuzz.cpp mxlab_mail_core)
