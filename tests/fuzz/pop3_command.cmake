# libFuzzer target for mail/pop3 (command lines, and whole sessions with a scripted server answering their actions).
mxlab_fuzz_target(pop3_command_fuzz ${CMAKE_CURRENT_LIST_DIR}/pop3_command_fuzz.cpp mxlab_mail_core)
