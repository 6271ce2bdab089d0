// TLS straight on the socket; see tls_socket.hpp.
#include "mail/net/tls_socket.hpp"

#include <cerrno>
#include <climits>
#include <new>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/error.hpp>

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::mail::net {

TlsSocket::TlsSocket(asio::ip::tcp::socket& socket, SSL_CTX* context) : socket_(socket), ssl_(SSL_new(context)) {
    if (!ssl_) throw std::bad_alloc();
    // OpenSSL reads and writes the descriptor; Asio only waits for it.
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    if (ec || SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle())) != 1) {
        SSL_free(ssl_);
        throw std::bad_alloc();
    }
    SSL_set_accept_state(ssl_);
    SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    // One read() for what has arrived rather than one per record header and
    // body (the driver tries SSL_read before it waits for the socket, so what
    // is read ahead is never left waiting). It also takes in all
    // of a client's garbage before a failed handshake, so the close is a FIN,
    // not a reset over unread bytes.
    SSL_set_read_ahead(ssl_, 1);
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

boost::system::error_code TlsSocket::failure(int result) {
    const int err = SSL_get_error(ssl_, result);
    if (err == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
    if (err == SSL_ERROR_SYSCALL) {
        const unsigned long e = ERR_get_error();
        if (e) return {static_cast<int>(e), asio::error::get_ssl_category()};
        if (errno) return {errno, boost::system::system_category()};
        return asio::error::eof;
    }
    const unsigned long e = ERR_get_error();
    if (e) return {static_cast<int>(e), asio::error::get_ssl_category()};
    return asio::error::connection_aborted;
}

std::size_t TlsSocket::read_now(asio::mutable_buffer buffer, bool& want_write, boost::system::error_code& ec) {
    want_write = false;
    ERR_clear_error();  // the queue is per thread; a coroutine moves between threads
    errno = 0;
    const int size = static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX));
    const int n = SSL_read(ssl_, buffer.data(), size);
    if (n > 0) return static_cast<std::size_t>(n);
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ) return 0;
    if (err == SSL_ERROR_WANT_WRITE) {
        want_write = true;
        return 0;
    }
    ec = failure(n);
    return 0;
}

asio::awaitable<int> TlsSocket::run(Op op, const void* data, int size, boost::system::error_code& ec) {
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = 0;
        switch (op) {
        case Op::handshake: r = SSL_do_handshake(ssl_); break;
        case Op::write: r = SSL_write(ssl_, data, size); break;
        case Op::shutdown: r = SSL_shutdown(ssl_); break;
        }
        if (r > 0 || (op == Op::shutdown && r == 0)) co_return r;  // shutdown: 0 is "sent, the client's not yet seen"
        const int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_WANT_READ) {
            co_await socket_.async_wait(asio::socket_base::wait_read, asio::redirect_error(asio::use_awaitable, ec));
        } else if (err == SSL_ERROR_WANT_WRITE) {
            co_await socket_.async_wait(asio::socket_base::wait_write, asio::redirect_error(asio::use_awaitable, ec));
        } else {
            ec = failure(r);
        }
        if (ec) co_return r;
    }
}

asio::awaitable<void> TlsSocket::handshake(boost::system::error_code& ec) { co_await run(Op::handshake, nullptr, 0, ec); }

asio::awaitable<void> TlsSocket::write(asio::const_buffer bytes, boost::system::error_code& ec) {
    const char* p = static_cast<const char*>(bytes.data());
    std::size_t left = bytes.size();
    while (left > 0 && !ec) {
        const int chunk = static_cast<int>(std::min<std::size_t>(left, 1 << 20));
        const int n = co_await run(Op::write, p, chunk, ec);
        if (ec) break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

asio::awaitable<void> TlsSocket::shutdown() {
    boost::system::error_code ec;
    co_await run(Op::shutdown, nullptr, 0, ec);
}

}  // namespace mxlab::mail::net
