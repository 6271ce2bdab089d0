// DNS over UDP: a dedicated thread per core, each with its own SO_REUSEPORT
// socket per listen address, reading and answering in batches (recvmmsg/sendmmsg).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"
#include "dns/zone_holder.hpp"

namespace mxlab::dns {

class Forwarder;

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
    // Queries the responder leaves to the forwarder (dns/forward.hpp) go to
    // `f`, which must outlive this server's stop(); none: they are dropped.
    void set_forwarder(Forwarder* f) { forwarder_ = f; }
    void start();
    // Wakes the threads, joins them, closes the sockets.
    void stop();

private:
    struct Worker {
        std::vector<int> sockets;
        std::vector<bool> wildcard;  // bound to 0.0.0.0 or ::, so replies need the source address set
    };
    void run(const Worker& w);
    // A forwarded query's reply, sent later from another thread; nothing once stop() closed the sockets.
    void send_later(int fd, const sockaddr_storage& peer, socklen_t peer_len, const std::vector<char>& control,
                    const std::vector<std::uint8_t>& reply);

    ZoneHolder& zones_;
    Logger& log_;
    std::vector<Worker> workers_;
    std::vector<std::jthread> threads_;
    int wake_fd_ = -1;
    Forwarder* forwarder_ = nullptr;
    std::shared_mutex sockets_mu_;  // send_later() holds it shared, stop() exclusively while closing
    bool closed_ = false;           // under sockets_mu_
};

}  // namespace mxlab::dns
