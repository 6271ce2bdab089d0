# libFuzzer target for the SMTP client: mail/smtp/reply_reader (any split) and client_session (any reply sequence), plus dot_stuffer against a reference.
mxlab_fuzz_target(smtp_reply_fuzz ${CMAKE_CURRENT_LIST_DIR}/smtp_reply_fuzz.cpp mxlab_mail_core)
