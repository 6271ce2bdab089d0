// DNS over UDP: a dedicated thread per core, each with its own SO_REUSEPORT
// socket per listen address, reading and answering in batches (recvmmsg/sendmmsg).
#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"
#include "dns/zone_holder.hpp"

namespace mxlab::dns {

// Asio's per-datagram cost (a handler and a syscall per packet) is what keeps
// a server below NSD's rate; plain threads with batched syscalls are not.
class UdpServer {
public:
    UdpServer(ZoneHolder& zones, Logger& log) : zones_(zones), log_(log) {}
    ~UdpServer() { stop(); }
    UdpServer(const UdpServer&) = delete;
    UdpServer& operator=(const UdpServer&) = delete;

    // Opens and binds every socket; throws std::runtime_error naming the
    // address and port that failed.
    void bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, unsigned threads);
    void start();
    // Wakes the threads, joins them, closes the sockets.
    void stop();

private:
    struct Worker {
        std::vector<int> sockets;
        std::vector<bool> wildcard;  // bound to 0.0.0.0 or ::, so replies need the source address set
    };
    void run(const Worker& w);

    ZoneHolder& zones_;
    Logger& log_;
    std::vector<Worker> workers_;
    std::vector<std::jthread> threads_;
    int wake_fd_ = -1;
};

}  // namespace mxlab::dns
