// Reading and writing the small files TLS needs (certificates, keys): bounded reads, atomic private writes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace mxlab::appliance {

// A certificate or key file is a few KiB; a file this large is a wrong path.
inline constexpr std::size_t kMaxTlsFileSize = 1 << 20;

// Whether anything is at `p`. A dangling symlink counts: it is the user's
// setup (say, a link into /etc/letsencrypt), not a missing file to fill in.
bool present(const std::filesystem::path& p);

// The file's contents, or nullopt with the reason in `error` (also for a
// file larger than kMaxTlsFileSize).
std::optional<std::string> try_read(const std::filesystem::path& p, std::string* error = nullptr);

// Replaces `path` with `content` so that a reader sees either the old file or
// the whole new one: a temporary file in the same folder (created 0600 by
// mkstemp, so a key is never readable by others even for an instant), synced,
// then renamed over the target, then the folder synced. Creates the folder.
// Throws StartError naming the file and the failure.
void write_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode);

}  // namespace mxlab::appliance
