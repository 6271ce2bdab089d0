# libFuzzer target for mail/smtp/data_reader (DATA end, dot-stuffing, smuggling), checked against a simple reference and across input splits.
mxlab_fuzz_target(smtp_data_fuzz ${CMAKE_CURRENT_LIST_DIR}/smtp_data_fuzz.cpp mxlab_mail_core)
