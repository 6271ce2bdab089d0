# libFuzzer target for mail/imap/reader and command (framing, then parsing, of what an IMAP client sends) and mailbox_name.
mxlab_fuzz_target(imap_command_fuzz ${CMAKE_CURRENT_LIST_DIR}/imap_command_fuzz.cpp mxlab_imap_core)
