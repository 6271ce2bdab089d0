// Real DNS servers for the resolver tests (see loopback_dns.hpp).
#include "loopback_dns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "dns/resolver_reply.hpp"
#include "dns/responder.hpp"
#include "dns/serials.hpp"
#include "dns/wire.hpp"
#include "dns/zones.hpp"

extern char** environ;

namespace mxlab::dns::test {

config::IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    config::IpAddr ip;
    ip.bytes = {a, b, c, d};
    return ip;
}

std::shared_ptr<const ZoneSet> zones_of(const std::vector<DomainSpec>& domains, std::string hostname,
                                        std::vector<config::IpAddr> addresses) {
    config::Config c;
    c.appliance.hostname = std::move(hostname);
    c.appliance.addresses = std::move(addresses);
    c.dns.default_ttl = 3600;
    for (const auto& d : domains) {
        config::Domain dom;
        dom.name = d.name;
        dom.mail = d.mail;
        dom.mx = d.mx.empty() ? c.appliance.hostname : d.mx;
        int line = 1;
        for (const auto& r : d.records) dom.records.push_back({r, {line++, 1}});
        c.domains.push_back(std::move(dom));
    }
    SerialStore serials("/nonexistent-mxlab-test/dns-serials", SerialStore::Mode::read_only);
    using namespace std::chrono;
    BuildResult b = build_zones(c, serials, sys_days{year{2025} / January / 1});
    std::string errors;
    for (const auto& e : b.errors) errors += e + "\n";
    if (!b.zones) throw std::runtime_error("zones do not build:\n" + errors);
    return b.zones;
}

namespace {

sockaddr_in to_sockaddr(const config::IpAddr& a, std::uint16_t port) {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    std::memcpy(&s.sin_addr, a.bytes.data(), 4);
    return s;
}

int bound_socket(int type, const config::IpAddr& a, std::uint16_t port) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    const sockaddr_in s = to_sockaddr(a, port);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&s), sizeof s) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

std::uint16_t port_of(int fd) {
    sockaddr_in s{};
    socklen_t len = sizeof s;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &len);
    return ntohs(s.sin_port);
}

bool read_full(int fd, std::uint8_t* p, std::size_t n) {
    while (n > 0) {
        const ssize_t r = ::recv(fd, p, n, 0);
        if (r <= 0) return false;
        p += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

}  // namespace

std::uint16_t free_port(const std::vector<config::IpAddr>& addrs) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        const int probe = bound_socket(SOCK_STREAM, addrs.front(), 0);
        if (probe < 0) continue;
        const std::uint16_t port = port_of(probe);
        bool ok = true;
        std::vector<int> held{probe};
        for (const auto& a : addrs) {
            for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
                if (type == SOCK_STREAM && &a == &addrs.front()) continue;
                const int fd = bound_socket(type, a, port);
                if (fd < 0) ok = false;
                else held.push_back(fd);
            }
        }
        for (int fd : held) ::close(fd);
        if (ok) return port;
    }
    throw std::runtime_error("no free port on loopback");
}

LoopbackDns::LoopbackDns(std::shared_ptr<const ZoneSet> zones, config::IpAddr addr, std::uint16_t port, Mode mode)
    : zones_(std::move(zones)), addr_(addr), mode_(mode) {
    if (port == 0) port = free_port({addr});
    udp_ = bound_socket(SOCK_DGRAM, addr, port);
    if (udp_ < 0) throw std::runtime_error("cannot bind UDP " + addr.str() + ":" + std::to_string(port));
    if (mode != Mode::blackhole) {
        tcp_ = bound_socket(SOCK_STREAM, addr, port);
        if (tcp_ < 0 || ::listen(tcp_, 16) != 0) {
            ::close(udp_);
            if (tcp_ >= 0) ::close(tcp_);
            throw std::runtime_error("cannot listen on TCP " + addr.str() + ":" + std::to_string(port));
        }
    }
    port_ = port;
    wake_ = ::eventfd(0, EFD_CLOEXEC);
    thread_ = std::thread([this] { run(); });
}

LoopbackDns::~LoopbackDns() {
    const std::uint64_t one = 1;
    (void)!::write(wake_, &one, sizeof one);
    thread_.join();
    ::close(udp_);
    if (tcp_ >= 0) ::close(tcp_);
    ::close(wake_);
}

void LoopbackDns::run() {
    Responder responder;
    std::vector<std::uint8_t> buf(65535);
    for (;;) {
        pollfd fds[3] = {{wake_, POLLIN, 0}, {udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
        if (::poll(fds, tcp_ >= 0 ? 3 : 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[0].revents) return;
        if (fds[1].revents) {
            sockaddr_in peer{};
            socklen_t len = sizeof peer;
            const ssize_t n = ::recvfrom(udp_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&peer), &len);
            if (n <= 0) continue;
            ++udp_queries_;
            if (mode_ == Mode::blackhole) continue;
            config::IpAddr client;
            std::memcpy(client.bytes.data(), &peer.sin_addr, 4);
            auto reply = responder.respond(*zones_, {buf.data(), static_cast<std::size_t>(n)}, {Transport::udp, client});
            if (reply.empty()) continue;
            std::vector<std::uint8_t> out(reply.begin(), reply.end());
            auto send = [&](const std::vector<std::uint8_t>& m) {
                ::sendto(udp_, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&peer), len);
            };
            if (mode_ == Mode::spoof_first && out.size() > header_size + 1) {
                // What an off-path attacker would race in: a wrong ID, then the
                // right ID with another question (its first letter changed).
                auto wrong_id = out;
                put16(wrong_id.data(), static_cast<std::uint16_t>(get16(out.data()) ^ 0x5a5a));
                send(wrong_id);
                auto other_question = out;
                std::uint8_t& c = other_question[header_size + 1];
                c = c == 'q' ? 'r' : 'q';
                send(other_question);
            }
            send(out);
        }
        if (tcp_ >= 0 && fds[2].revents) {
            const int conn = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn >= 0) {
                serve_tcp(conn);
                ::close(conn);
            }
        }
    }
}

void LoopbackDns::serve_tcp(int fd) {
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Responder responder;
    std::vector<std::uint8_t> query;
    for (;;) {
        std::uint8_t len[2];
        if (!read_full(fd, len, 2)) return;
        query.resize(static_cast<std::size_t>(len[0]) << 8 | len[1]);
        if (!read_full(fd, query.data(), query.size())) return;
        ++tcp_queries_;
        auto reply = responder.respond(*zones_, query, {Transport::tcp, v4(127, 0, 0, 1)});
        if (reply.empty()) return;
        std::vector<std::uint8_t> out{static_cast<std::uint8_t>(reply.size() >> 8),
                                      static_cast<std::uint8_t>(reply.size())};
        out.insert(out.end(), reply.begin(), reply.end());
        if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
    }
}

// ---- MxlabProcess ----

namespace {

// True when something answers a DNS query on 127.0.0.1:port within `wait`.
bool answers(std::uint16_t port, std::chrono::milliseconds wait) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const sockaddr_in s = to_sockaddr(v4(127, 0, 0, 1), port);
    client::Question q{0x4242, {0}, rrtype::SOA};
    const auto query = client::make_query(q);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&s), sizeof s) == 0 &&
        ::send(fd, query.data(), query.size(), 0) == static_cast<ssize_t>(query.size())) {
        pollfd p{fd, POLLIN, 0};
        std::uint8_t buf[512];
        // QR=1: a probe whose ephemeral source port happens to be `port`
        // sends to itself and reads back its own query (UDP self-connect),
        // which must not count as the server being up.
        ok = ::poll(&p, 1, static_cast<int>(wait.count())) == 1 && ::recv(fd, buf, sizeof buf, 0) >= 3 &&
             get16(buf) == q.id && (buf[2] & 0x80) != 0;
    }
    ::close(fd);
    return ok;
}

}  // namespace

MxlabProcess::MxlabProcess(const std::string& hostname, const std::string& addresses_toml,
                           const std::string& domains_toml) {
    char tmpl[] = "/tmp/mxlab-resolver-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port({v4(127, 0, 0, 1)});
    const auto toml = dir_ / "mxlab.toml";
    {
        // As tests/integration/harness.py lab_config(): every listener but DNS off.
        std::ofstream f(toml);
        f << "[appliance]\nhostname = \"" << hostname << "\"\naddresses = " << addresses_toml
          << "\nlisten = [\"127.0.0.1\"]\ndata_dir = \"" << (dir_ / "data").string()
          << "\"\nlog_level = \"debug\"\n\n[ports]\ndns = " << port_
          << "\nsmtp = 0\nsubmission = 0\nsmtps = 0\npop3 = 0\npop3s = 0\nimap = 0\nimaps = 0\nhttp = 0\nhttps = 0\n\n"
          << domains_toml;
    }
    const std::string bin = MXLAB_BINARY;
    const std::string log = (dir_ / "mxlab.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::string a0 = bin, a1 = "serve", a2 = "-c", a3 = toml.string();
    char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
    const int rc = ::posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        std::filesystem::remove_all(dir_);
        throw std::runtime_error("cannot start " + bin + ": " + std::strerror(rc));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            const std::string text = this->log();
            std::filesystem::remove_all(dir_);
            throw std::runtime_error("mxlab serve exited at start:\n" + text);
        }
        if (answers(port_, std::chrono::milliseconds(100))) return;
    }
    const std::string text = this->log();
    stop();
    throw std::runtime_error("mxlab serve does not answer DNS after 15 s:\n" + text);
}

MxlabProcess::~MxlabProcess() { stop(); }

void MxlabProcess::stop() {
    if (pid_ > 0) {
        // Only the process we started, by its PID.
        ::kill(pid_, SIGTERM);
        int status = 0;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
    }
    if (!dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        dir_.clear();
    }
}

config::Endpoint MxlabProcess::endpoint() const { return {v4(127, 0, 0, 1), port_}; }

std::string MxlabProcess::log() const {
    std::ifstream f(dir_ / "mxlab.log");
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace mxlab::dns::test
