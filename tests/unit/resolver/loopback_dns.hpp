// Real DNS servers for the resolver tests: in-process authoritative servers on loopback, and a started `mxlab serve`.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns::test {

config::IpAddr v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

// One [[domain]] for zones_of(): `records` in zone-file syntax relative to the domain.
struct DomainSpec {
    std::string name;
    bool mail = false;  // true: generated "MX 10 <mx>"
    std::string mx;     // default ns.test (outside every test zone)
    std::vector<std::string> records;
};

// Compiles zones as `mxlab serve` would (dns::build_zones), with hostname
// ns.test and serials that are never written. Fails the test on errors.
std::shared_ptr<const ZoneSet> zones_of(const std::vector<DomainSpec>& domains, std::string hostname = "ns.test",
                                        std::vector<config::IpAddr> addresses = {});

// A port free for both UDP and TCP on every one of `addrs` (DNS needs both on one number).
std::uint16_t free_port(const std::vector<config::IpAddr>& addrs);

// An authoritative server: dns::Responder behind a small UDP + TCP loop on
// its own thread, so the resolver reaches it through real sockets.
class LoopbackDns {
public:
    enum class Mode {
        answer,       // as mxlab's servers answer
        blackhole,    // reads UDP queries and never answers; no TCP listener (a firewalled server)
        spoof_first,  // before each real UDP reply: one with a wrong ID and one with another question
    };

    // Binds UDP and TCP on addr:port (port 0: a free one); throws when it cannot.
    LoopbackDns(std::shared_ptr<const ZoneSet> zones, config::IpAddr addr, std::uint16_t port = 0,
                Mode mode = Mode::answer);
    ~LoopbackDns();
    LoopbackDns(const LoopbackDns&) = delete;
    LoopbackDns& operator=(const LoopbackDns&) = delete;

    config::Endpoint endpoint() const { return {addr_, port_}; }
    std::uint16_t port() const { return port_; }
    int udp_queries() const { return udp_queries_.load(); }
    int tcp_queries() const { return tcp_queries_.load(); }

private:
    void run();
    void serve_tcp(int fd);

    std::shared_ptr<const ZoneSet> zones_;
    config::IpAddr addr_;
    std::uint16_t port_ = 0;
    Mode mode_;
    int udp_ = -1;
    int tcp_ = -1;
    int wake_ = -1;
    std::atomic<int> udp_queries_{0};
    std::atomic<int> tcp_queries_{0};
    std::thread thread_;
};

// A second, real `mxlab serve` (the binary of this build) with DNS only, on
// 127.0.0.1 and a free port; ended by its PID (SIGTERM, then SIGKILL).
class MxlabProcess {
public:
    // `domains_toml`: [[domain]] tables. Waits until it answers DNS (at most ~15 s); throws otherwise.
    MxlabProcess(const std::string& hostname, const std::string& addresses_toml, const std::string& domains_toml);
    ~MxlabProcess();
    MxlabProcess(const MxlabProcess&) = delete;
    MxlabProcess& operator=(const MxlabProcess&) = delete;

    config::Endpoint endpoint() const;
    std::string log() const;

private:
    void stop();

    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace mxlab::dns::test
