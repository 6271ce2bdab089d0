// A blocking line client on loopback for the tests that run a real server in-process (POP3, SMTP), and a free port for it.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "core/asio.hpp"

namespace mxlab::test {

// A free loopback port, as the integration harness finds one.
inline std::uint16_t free_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return a.local_endpoint().port();
}

// One connection with its own io_context, typed line by line as telnet would.
struct LineClient {
    asio::io_context io;
    asio::ip::tcp::socket sock{io};
    asio::streambuf buf;

    static std::unique_ptr<LineClient> connect(std::uint16_t port) {
        auto c = std::make_unique<LineClient>();
        c->sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        return c;
    }
    std::string line() {
        asio::read_until(sock, buf, "\r\n");
        std::istream in(&buf);
        std::string l;
        std::getline(in, l);
        if (!l.empty() && l.back() == '\r') l.pop_back();
        return l;
    }
    // Sends `text` and CRLF; returns the reply's (first) line.
    std::string send(const std::string& text) {
        asio::write(sock, asio::buffer(text + "\r\n"));
        return line();
    }
};

}  // namespace mxlab::test
