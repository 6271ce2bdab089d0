# libFuzzer target for mail/codec: the MIME parser, the stored form and the IMAP text made from it.
mxlab_fuzz_target(mime_fuzz ${CMAKE_CURRENT_LIST_DIR}/mime_fuzz.cpp mxlab_codec)
