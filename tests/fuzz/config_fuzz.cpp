// libFuzzer target: any bytes through load_string must give diagnostics or a Config, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = mxlab::config::load_string(text, "/etc/mxlab/fuzz.toml");
    // Formatting every diagnostic exercises the positions and keys too.
    for (const auto& d : r.diagnostics) (void)mxlab::config::format("fuzz.toml", d);
    return 0;
}
