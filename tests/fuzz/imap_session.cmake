# libFuzzer target for the IMAP session's pure core (reader, parser, view, FETCH, SEARCH) driven as mail/imap/session*.cpp drives it, over an in-memory store that others change.
mxlab_fuzz_target(imap_session_fuzz ${CMAKE_CURRENT_LIST_DIR}/imap_session_fuzz.cpp mxlab_imap_core)
