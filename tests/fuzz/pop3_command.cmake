# libFuzzer target for mail/pop3/command (command lines; whole sessions are pop3_session).
mxlab_fuzz_target(pop3_command_fuzz ${CMAKE_CURRENT_LIST_DIR}/pop3_command_fuzz.cpp mxlab_mail_core)
