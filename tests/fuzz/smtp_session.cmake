# libFuzzer target for mail/smtp/session: whole SMTP dialogs, the server's password checks, store and TLS played from the input.
mxlab_fuzz_target(smtp_session_fuzz ${CMAKE_CURRENT_LIST_DIR}/smtp_session_fuzz.cpp mxlab_mail_core)
