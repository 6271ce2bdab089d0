// The control socket: `mxlab queue` (and later `mxlab status`) talk to the running daemon through a Unix socket in data_dir.
//
// Protocol (ours, text): the client sends one line, the command's words
// separated by single spaces, ending in "\n"; the daemon answers "ok\n" or
// "error\n" followed by the text to print, and closes the connection. The
// socket is owner-only (0600): whoever can use it can delete queued mail.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "appliance/service.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

struct ControlReply {
    bool ok = true;
    std::string text;  // printed as is; ends with a newline when non-empty
    bool reached = true;  // client side: false when no daemon answered
};

// Runs on the daemon's io_context; gets the words after the command name.
using ControlHandler = std::function<asio::awaitable<ControlReply>(std::vector<std::string> args)>;

std::filesystem::path control_socket_path(const config::Config& cfg);

class ControlServer final : public Service {
public:
    ControlServer(asio::io_context& io, Logger& log);
    ~ControlServer() override;

    // Before start(), or at any time: a command name ("queue") and its handler.
    void add(std::string command, ControlHandler handler);

    std::string_view name() const override { return "control"; }
    void start(std::shared_ptr<const config::Config> cfg) override;
    PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) override;
    void stop() override;

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(asio::local::stream_protocol::socket socket);

    asio::io_context& io_;
    Logger& log_;
    asio::local::stream_protocol::acceptor acceptor_;
    std::filesystem::path path_;
    std::mutex mutex_;
    std::map<std::string, ControlHandler> handlers_;
};

// The client side: sends `words` to the daemon of `cfg` and returns its reply;
// ok = false with a message saying what to do when no daemon answers.
ControlReply control_request(const config::Config& cfg, const std::vector<std::string>& words);

}  // namespace mxlab::appliance
