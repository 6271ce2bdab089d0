# Fuzzes config/: TOML text -> load_string (toml++, the schema, the checks, ldns on records).
mxlab_fuzz_target(config_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/config_fuzz.cpp mxlab_config)
