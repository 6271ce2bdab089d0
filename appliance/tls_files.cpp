// Bounded reads and atomic, private writes of certificate and key files.
#include "appliance/tls_files.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/service.hpp"

namespace mxlab::appliance {

namespace fs = std::filesystem;

bool present(const fs::path& p) {
    std::error_code ec;
    return fs::symlink_status(p, ec).type() != fs::file_type::not_found;
}

std::optional<std::string> try_read(const fs::path& p, std::string* error) {
    auto fail = [&](int err) -> std::optional<std::string> {
        if (error) *error = std::strerror(err);
        return std::nullopt;
    };
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno);
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return fail(err);
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxTlsFileSize) {
            ::close(fd);
            if (error) *error = "larger than 1 MiB: not a certificate or key";
            return std::nullopt;
        }
    }
    ::close(fd);
    return text;
}

void write_atomically(const fs::path& path, std::string_view content, mode_t mode) {
    auto fail = [&](std::string_view what, int err) {
        throw StartError("cannot write " + path.string() + ": " + std::string(what) + ": " + std::strerror(err));
    };
    const fs::path dir = path.parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw StartError("cannot create " + dir.string() + ": " + ec.message());

    std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) fail("cannot create a temporary file", errno);
    struct Guard {  // removes the temporary file unless it became the target
        std::string& tmp;
        int& fd;
        bool done = false;
        ~Guard() {
            if (fd >= 0) ::close(fd);
            if (!done) ::unlink(tmp.c_str());
        }
    } guard{tmp, fd};

    for (std::size_t off = 0; off < content.size();) {
        ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write", errno);
        off += static_cast<std::size_t>(n);
    }
    if (::fchmod(fd, mode) != 0) fail("chmod", errno);
    if (::fsync(fd) != 0) fail("fsync", errno);
    int closing = fd;
    fd = -1;
    if (::close(closing) != 0) fail("close", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", errno);
    guard.done = true;
    if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
        ::fsync(dfd);  // the rename itself survives a crash; failing here changes nothing for the caller
        ::close(dfd);
    }
}

}  // namespace mxlab::appliance
