// The only translation unit that compiles toml++'s implementation (see toml.hpp).
#define TOML_IMPLEMENTATION
#include "config/toml.hpp"
