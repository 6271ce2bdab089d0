// DNS over UDP with batched syscalls; see udp_server.hpp for why not Asio.
#include "dns/udp_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dns/forwarder.hpp"
#include "dns/responder.hpp"
#include "dns/zone_set.hpp"

namespace mxlab::dns {

namespace {

constexpr int kBatch = 32;
constexpr size_t kMaxQuery = 4096;  // larger datagrams are not DNS queries we answer

bool is_wildcard(const config::IpAddr& a) {
    for (size_t i = 0; i < (a.v6 ? 16u : 4u); ++i)
        if (a.bytes[i] != 0) return false;
    return true;
}

int open_socket(const config::IpAddr& a, std::uint16_t port) {
    int fd = ::socket(a.v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw std::runtime_error("cannot open a UDP socket: " + std::string(std::strerror(errno)));
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len;
    if (a.v6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
        len = sizeof(sockaddr_in6);
    } else {
        ::setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
        len = sizeof(sockaddr_in);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        int err = errno;
        ::close(fd);
        throw std::runtime_error("cannot bind DNS (UDP) to " + config::Endpoint{a, port}.str() + ": " + std::strerror(err) +
                                 (err == EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "") +
                                 (err == EADDRINUSE ? " (another DNS server runs there? change ports.dns)" : ""));
    }
    return fd;
}

config::IpAddr peer_of(const sockaddr_storage& ss) {
    config::IpAddr a;
    if (ss.ss_family == AF_INET6) {
        a.v6 = true;
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
    } else {
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    }
    return a;
}

// Per-thread buffers for one batch of datagrams.
struct Batch {
    std::array<std::array<std::uint8_t, kMaxQuery>, kBatch> in{};
    std::array<sockaddr_storage, kBatch> peers{};
    std::array<iovec, kBatch> in_iov{};
    std::array<std::array<char, 64>, kBatch> in_ctl{};
    std::array<mmsghdr, kBatch> in_msgs{};

    std::array<std::vector<std::uint8_t>, kBatch> out{};
    std::array<iovec, kBatch> out_iov{};
    std::array<std::array<char, 64>, kBatch> out_ctl{};
    std::array<mmsghdr, kBatch> out_msgs{};

    void arm() {
        for (int i = 0; i < kBatch; ++i) {
            in_iov[i] = {in[i].data(), in[i].size()};
            auto& h = in_msgs[i].msg_hdr;
            h = {};
            h.msg_name = &peers[i];
            h.msg_namelen = sizeof(sockaddr_storage);
            h.msg_iov = &in_iov[i];
            h.msg_iovlen = 1;
            h.msg_control = in_ctl[i].data();
            h.msg_controllen = in_ctl[i].size();
        }
    }
};

// Copies the query's destination address into the reply's control data, so
// that a wildcard-bound socket answers from the address it was asked on.
size_t reply_source(const msghdr& in, char* out, size_t out_size) {
    for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&in)); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&in), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && out_size >= CMSG_SPACE(sizeof(in_pktinfo))) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            in_pktinfo reply{};
            reply.ipi_spec_dst = info.ipi_addr;
            auto* o = reinterpret_cast<cmsghdr*>(out);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof reply);
            std::memcpy(CMSG_DATA(o), &reply, sizeof reply);
            return CMSG_SPACE(sizeof reply);
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
            out_size >= CMSG_SPACE(sizeof(in6_pktinfo))) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            auto* o = reinterpret_cast<cmsghdr*>(out);
            o->cmsg_level = IPPROTO_IPV6;
            o->cmsg_type = IPV6_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof info);
            std::memcpy(CMSG_DATA(o), &info, sizeof info);
            return CMSG_SPACE(sizeof info);
        }
    }
    return 0;
}

}  // namespace

void UdpServer::bind(const std::vector<config::IpAddr>& addresses, std::uint16_t port, unsigned threads) {
    stop();
    {
        std::unique_lock lock(sockets_mu_);
        closed_ = false;
    }
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::runtime_error("cannot create an eventfd: " + std::string(std::strerror(errno)));
    workers_.resize(std::max(1u, threads));
    try {
        for (auto& w : workers_) {
            for (const auto& a : addresses) {
                w.sockets.push_back(open_socket(a, port));
                w.wildcard.push_back(is_wildcard(a));
            }
        }
    } catch (...) {
        stop();
        throw;
    }
}

void UdpServer::start() {
    for (const auto& w : workers_) threads_.emplace_back([this, &w] { run(w); });
}

void UdpServer::stop() {
    if (wake_fd_ >= 0) {
        std::uint64_t one = 1;
        (void)!::write(wake_fd_, &one, sizeof one);
    }
    threads_.clear();  // joins
    {
        std::unique_lock lock(sockets_mu_);
        closed_ = !workers_.empty() || closed_;
        for (auto& w : workers_)
            for (int fd : w.sockets) ::close(fd);
    }
    workers_.clear();
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
}

void UdpServer::send_later(int fd, const sockaddr_storage& peer, socklen_t peer_len, const std::vector<char>& control,
                           const std::vector<std::uint8_t>& reply) {
    std::shared_lock lock(sockets_mu_);
    if (closed_) return;  // the fd may already be someone else's
    iovec iov{const_cast<std::uint8_t*>(reply.data()), reply.size()};
    msghdr h{};
    h.msg_name = const_cast<sockaddr_storage*>(&peer);
    h.msg_namelen = peer_len;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    if (!control.empty()) {
        h.msg_control = const_cast<char*>(control.data());
        h.msg_controllen = control.size();
    }
    (void)::sendmsg(fd, &h, MSG_DONTWAIT);  // lost like any UDP reply when the buffer is full
}

void UdpServer::run(const Worker& w) {
    auto batch = std::make_unique<Batch>();
    Responder responder;
    std::uint64_t generation = zones_.generation();
    std::shared_ptr<const ZoneSet> zones = zones_.get();

    std::vector<pollfd> fds;
    for (int fd : w.sockets) fds.push_back({fd, POLLIN, 0});
    fds.push_back({wake_fd_, POLLIN, 0});

    for (;;) {
        int ready = ::poll(fds.data(), fds.size(), -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            log_.error("dns.udp.poll", {{"error", std::strerror(errno)}});
            return;
        }
        if (fds.back().revents) return;  // stop() was called
        for (size_t s = 0; s + 1 < fds.size(); ++s) {
            if (!fds[s].revents) continue;
            int fd = fds[s].fd;
            for (;;) {
                batch->arm();
                int n = ::recvmmsg(fd, batch->in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
                if (n <= 0) break;
                if (zones_.generation() != generation) {
                    generation = zones_.generation();
                    zones = zones_.get();
                }
                if (!zones) continue;
                int out = 0;
                for (int i = 0; i < n; ++i) {
                    const auto& msg = batch->in_msgs[i];
                    if (msg.msg_hdr.msg_flags & MSG_TRUNC) continue;
                    QueryContext ctx{Transport::udp, peer_of(batch->peers[i])};
                    auto reply = responder.respond(*zones, {batch->in[i].data(), msg.msg_len}, ctx);
                    auto& buf = batch->out[out];
                    if (const ForwardQuery* fq = responder.forward_query(); fq && forwarder_) {
                        if (auto now = forwarder_->answer_now(*fq)) {
                            buf = std::move(*now);
                        } else {
                            // Answered later, from the thread the upstream reply arrives on.
                            std::vector<char> control;
                            if (w.wildcard[s]) {
                                alignas(cmsghdr) std::array<char, 64> ctl{};
                                control.assign(ctl.begin(), ctl.begin() + reply_source(msg.msg_hdr, ctl.data(), ctl.size()));
                            }
                            forwarder_->forward(*fq, [this, fd, peer = batch->peers[i], len = msg.msg_hdr.msg_namelen,
                                                      control = std::move(control)](std::vector<std::uint8_t> r) {
                                send_later(fd, peer, len, control, r);
                            });
                            continue;
                        }
                    } else if (reply.empty()) {
                        continue;
                    } else {
                        buf.assign(reply.begin(), reply.end());
                    }
                    batch->out_iov[out] = {buf.data(), buf.size()};
                    auto& h = batch->out_msgs[out].msg_hdr;
                    h = {};
                    h.msg_name = &batch->peers[i];
                    h.msg_namelen = msg.msg_hdr.msg_namelen;
                    h.msg_iov = &batch->out_iov[out];
                    h.msg_iovlen = 1;
                    if (w.wildcard[s]) {
                        size_t ctl = reply_source(msg.msg_hdr, batch->out_ctl[out].data(), batch->out_ctl[out].size());
                        if (ctl) {
                            h.msg_control = batch->out_ctl[out].data();
                            h.msg_controllen = ctl;
                        }
                    }
                    ++out;
                }
                for (int sent = 0; sent < out;) {
                    int r = ::sendmmsg(fd, batch->out_msgs.data() + sent, out - sent, 0);
                    if (r > 0) {
                        sent += r;
                    } else if (r < 0 && errno == EINTR) {
                        continue;
                    } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        break;  // a full send buffer drops replies, as any UDP server does
                    } else {
                        ++sent;  // this peer cannot be sent to; the others still can
                    }
                }
                if (n < kBatch) break;
            }
        }
    }
}

}  // namespace mxlab::dns
