// Opening a mail listener; see tcp.hpp.
#include "mail/net/tcp.hpp"

#include <stdexcept>
#include <string>

#include "core/asio_address.hpp"

namespace mxlab::mail::net {

asio::ip::tcp::acceptor open_listener(asio::io_context& io, const config::IpAddr& address, std::uint16_t port, std::string_view what) {
    asio::ip::tcp::endpoint ep(to_asio(address), port);
    asio::ip::tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && address.v6) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        throw std::runtime_error("cannot listen for " + std::string(what) + " on " + config::Endpoint{address, port}.str() + ": " +
                                 ec.message() + (ec == asio::error::access_denied ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : ""));
    }
    return acceptor;
}

}  // namespace mxlab::mail::net
