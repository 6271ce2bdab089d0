# libFuzzer target for mail/smtp/command and reply (command lines, paths, ESMTP parameters, xtext, reply formatting).
mxlab_fuzz_target(smtp_command_fuzz ${CMAKE_CURRENT_LIST_DIR}/smtp_command_fuzz.cpp mxlab_mail_core)
