// Making, keeping and finding the lab CA under data_dir/tls.
#include "appliance/lab_ca.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "appliance/check.hpp"
#include "appliance/service.hpp"
#include "appliance/tls_files.hpp"

namespace mxlab::appliance {

namespace {

namespace fs = std::filesystem;

// A CA this close to its end is replaced while every client can still be
// told in time; the server certificates it issued go with it.
constexpr std::chrono::days kCaRenewBefore{30};

// What to do about EACCES: `mxlab tls ca` run by a user other than the one
// that runs `mxlab serve` (data_dir is 0700).
std::string denied_hint(int err) {
    return err == EACCES ? " (run it as the user that runs mxlab serve, e.g. with sudo)" : "";
}

// An exclusive flock held for the object's life; released by close.
class FileLock {
public:
    explicit FileLock(const fs::path& path) {
        std::error_code ec;
        fs::create_directories(path.parent_path(), ec);
        if (ec) throw StartError("cannot create " + path.parent_path().string() + ": " + ec.message());
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            const int err = errno;
            throw StartError("cannot open " + path.string() + ": " + std::strerror(err) + denied_hint(err));
        }
        while (::flock(fd_, LOCK_EX) != 0)
            if (errno != EINTR) {
                const int err = errno;
                ::close(fd_);
                throw StartError("cannot lock " + path.string() + ": " + std::strerror(err));
            }
    }
    ~FileLock() { ::close(fd_); }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    int fd_ = -1;
};

// The file, nullopt when there is none. One that is there but cannot be read
// is an error, never a reason to make a new CA that every client would have
// to be given again.
std::optional<std::string> read_if_present(const fs::path& p) {
    if (!present(p)) return std::nullopt;
    std::string error;
    auto text = try_read(p, &error);
    if (!text) throw StartError(p.string() + " cannot be read: " + error + denied_hint(error == std::strerror(EACCES) ? EACCES : 0));
    return text;
}

// Why the CA on disk cannot be used, if it cannot.
std::optional<std::string_view> ca_problem(const std::optional<std::string>& cert, const std::optional<std::string>& key) {
    if (!cert && !key) return "missing";
    if (!cert || !key) return "incomplete";
    CertInfo info;
    try {
        info = inspect_certificate(*cert);
    } catch (const OpenSslError&) {
        return "unreadable";
    }
    if (!info.ca) return "unreadable";
    if (!key_matches(*cert, *key)) return "mismatched";
    if (info.not_after < std::chrono::system_clock::now() + kCaRenewBefore) return "expiring";
    return std::nullopt;
}

}  // namespace

fs::path lab_ca_cert_path(const config::Config& cfg) { return cfg.appliance.data_dir / "tls" / "ca.pem"; }
fs::path lab_ca_key_path(const config::Config& cfg) { return cfg.appliance.data_dir / "tls" / "ca.key"; }

bool made_by_mxlab(const std::optional<std::string>& text) {
    return text && (text->starts_with(kIssuedMarker) || text->starts_with(kSelfSignedMarker));
}

std::optional<std::string> lab_ca_unused(const config::Config& cfg) {
    if (explicit_tls(cfg))
        return "the config gives its own certificate (tls.cert = " + cfg.tls.cert.string() +
               "): clients trust that certificate's issuer, and mxlab makes no lab CA";
    if (present(cfg.tls.cert) && !made_by_mxlab(try_read(cfg.tls.cert)))
        return cfg.tls.cert.string() + " is not a certificate mxlab issued: it is used as it is, and the lab CA " +
               "is not used; remove it and tls/key.pem to have the lab CA issue one";
    return std::nullopt;
}

PemPair ensure_lab_ca(const config::Config& cfg, Logger& log) {
    const fs::path cert_path = lab_ca_cert_path(cfg);
    const fs::path key_path = lab_ca_key_path(cfg);
    FileLock lock(cert_path.parent_path() / ".ca.lock");
    const auto cert = read_if_present(cert_path);
    const auto key = read_if_present(key_path);
    const auto problem = ca_problem(cert, key);
    if (!problem) return {*cert, *key};

    PemPair ca;
    try {
        ca = make_lab_ca(cfg.appliance.hostname);
    } catch (const std::exception& e) {
        throw StartError(std::string("cannot make the lab CA: ") + e.what());
    }
    // Key first: a crash between the two renames leaves a CA that does not
    // match its key, which the next call remakes before anyone saw it.
    write_atomically(key_path, ca.key, 0600);
    write_atomically(cert_path, ca.cert, 0644);
    const CertInfo info = inspect_certificate(ca.cert);
    if (*problem == "missing") {
        log.info("tls.ca_made", {{"cert", cert_path.string()}, {"subject", info.subject}, {"sha256", info.sha256},
                                 {"reason", *problem}});
    } else {
        log.warn("tls.ca_made", {{"cert", cert_path.string()}, {"subject", info.subject}, {"sha256", info.sha256},
                                 {"reason", *problem},
                                 {"detail", "a new lab CA: clients that trusted the old one must be given this one "
                                            "(mxlab tls ca)"}});
    }
    return ca;
}

}  // namespace mxlab::appliance
