// TLS on a connection's own TCP socket, made only when TLS starts (STARTTLS, STLS, or the first byte on 465 and 995), holding OpenSSL's buffers only while bytes are in flight.
//
// Asio's ssl::stream costs some 70 KB a connection whether or not it is idle
// (two 17 KB staging vectors, and a BIO pair of two 17 KB rings in front of
// OpenSSL's own). Here OpenSSL reads and writes the non-blocking socket
// itself (SSL_set_fd); when it wants the socket, the coroutine waits for it
// with async_wait, which holds no buffer. With SSL_MODE_RELEASE_BUFFERS an
// idle TLS connection keeps only the SSL object and its keys.
//
// Used from the connection's strand only. The socket must outlive this.
#pragma once

#include <cstddef>
#include <memory>

#include "core/asio.hpp"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace mxlab::mail::net {

class TlsSocket {
public:
    // Throws std::bad_alloc when OpenSSL cannot make the SSL object.
    TlsSocket(asio::ip::tcp::socket& socket, SSL_CTX* context);
    ~TlsSocket();
    TlsSocket(const TlsSocket&) = delete;
    TlsSocket& operator=(const TlsSocket&) = delete;

    // The server side of the handshake.
    asio::awaitable<void> handshake(boost::system::error_code& ec);
    // Reads what there is into `buffer` without waiting. 0 with no error: the
    // socket must become readable (or writable, `want_write`) first.
    std::size_t read_now(asio::mutable_buffer buffer, bool& want_write, boost::system::error_code& ec);
    asio::awaitable<void> write(asio::const_buffer bytes, boost::system::error_code& ec);
    // Sends close_notify; does not wait for the client's.
    asio::awaitable<void> shutdown();

private:
    enum class Op { handshake, write, shutdown };
    // Runs `op` until it no longer wants the socket; its return value, or <= 0 with ec.
    asio::awaitable<int> run(Op op, const void* data, int size, boost::system::error_code& ec);
    boost::system::error_code failure(int result);

    asio::ip::tcp::socket& socket_;
    SSL* ssl_;
};

}  // namespace mxlab::mail::net
