# libFuzzer target for mail/pop3/session: whole POP3 dialogs, the server's logins, retrievals and UPDATE played from the input.
mxlab_fuzz_target(pop3_session_fuzz ${CMAKE_CURRENT_LIST_DIR}/pop3_session_fuzz.cpp mxlab_mail_core)
