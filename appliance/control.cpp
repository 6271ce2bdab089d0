// The control socket: a Unix stream socket in data_dir, one request per connection; see control.hpp.
#include "appliance/control.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/accept_pause.hpp"

// Asio's coroutine frames trip g++ 12's allocator pairing check (see dns/resolver.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace mxlab::appliance {

using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t kMaxRequest = 4096;

std::vector<std::string> split_words(std::string_view line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ') ++j;
        if (j > i) words.emplace_back(line.substr(i, j - i));
        i = j;
    }
    return words;
}

// Whether a daemon answers on `path` (a leftover file from a crash does not).
bool someone_listens(const std::filesystem::path& path) {
    asio::io_context io;
    local::socket s(io);
    boost::system::error_code ec;
    s.connect(local::endpoint(path.string()), ec);
    return !ec;
}

}  // namespace

std::filesystem::path control_socket_path(const config::Config& cfg) { return cfg.appliance.data_dir / "control.sock"; }

ControlServer::ControlServer(asio::io_context& io, Logger& log) : io_(io), log_(log), acceptor_(io) {}

ControlServer::~ControlServer() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::error_code fec;
    if (!path_.empty()) std::filesystem::remove(path_, fec);
}

void ControlServer::add(std::string command, ControlHandler handler) {
    std::lock_guard lock(mutex_);
    handlers_[std::move(command)] = std::move(handler);
}

void ControlServer::start(std::shared_ptr<const config::Config> cfg) {
    auto path = control_socket_path(*cfg);
    if (path.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
        throw StartError("the control socket path " + path.string() + " is too long for a Unix socket (" +
                         std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes at most); choose a shorter appliance.data_dir");
    }
    std::error_code fec;
    if (std::filesystem::exists(path, fec)) {
        if (someone_listens(path)) {
            throw StartError("another mxlab is running on data_dir " + cfg->appliance.data_dir.string() +
                             " (its control socket " + path.string() + " answers); stop it first");
        }
        std::filesystem::remove(path, fec);
    }
    boost::system::error_code ec;
    // Owner-only from the first moment: bind() creates the file with the umask.
    const mode_t old = ::umask(077);
    acceptor_.open(local(), ec);
    if (!ec) acceptor_.bind(local::endpoint(path.string()), ec);
    ::umask(old);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw StartError("cannot open the control socket " + path.string() + ": " + ec.message());
    ::chmod(path.c_str(), 0600);
    path_ = path;
    asio::co_spawn(io_, accept_loop(), [this](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log_.error("control.failed", {{"error", ex.what()}});
        }
    });
}

PreparedReload ControlServer::prepare_reload(std::shared_ptr<const config::Config> cfg) {
    if (control_socket_path(*cfg) != path_)
        log_.warn("control.reload.path", {{"detail", "a new appliance.data_dir applies at the next restart"}});
    return {{}, {}};
}

void ControlServer::stop() {
    asio::post(io_, [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
    });
}

asio::awaitable<void> ControlServer::accept_loop() {
    AcceptPause pause(log_, "control");
    for (;;) {
        boost::system::error_code ec;
        auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
            co_await pause.failed(ec);
            continue;
        }
        pause.accepted();
        asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> ControlServer::serve(local::socket socket) {
    std::string request;
    boost::system::error_code ec;
    asio::steady_timer deadline(socket.get_executor(), std::chrono::seconds(10));
    deadline.async_wait([&socket](boost::system::error_code e) {
        if (!e) socket.close(e);
    });
    co_await asio::async_read_until(socket, asio::dynamic_buffer(request, kMaxRequest), '\n',
                                    asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (ec) co_return;
    request.resize(request.find('\n'));
    auto words = split_words(request);
    ControlReply reply{false, "unknown command\n"};
    if (!words.empty()) {
        ControlHandler handler;
        {
            std::lock_guard lock(mutex_);
            auto it = handlers_.find(words.front());
            if (it != handlers_.end()) handler = it->second;
        }
        if (handler) {
            words.erase(words.begin());
            reply = co_await handler(std::move(words));
        } else {
            reply.text = "the daemon does not offer '" + words.front() + "' (is its service enabled?)\n";
        }
    }
    std::string out = (reply.ok ? "ok\n" : "error\n") + reply.text;
    co_await asio::async_write(socket, asio::buffer(out), asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(local::socket::shutdown_both, ec);
}

ControlReply control_request(const config::Config& cfg, const std::vector<std::string>& words) {
    const auto path = control_socket_path(cfg);
    asio::io_context io;
    local::socket s(io);
    boost::system::error_code ec;
    s.connect(local::endpoint(path.string()), ec);
    if (ec) {
        return {false, "no running mxlab answers on " + path.string() + " (" + ec.message() +
                           "); start it with `mxlab serve -c FILE`, and give the same -c FILE here\n", false};
    }
    std::string line;
    for (const auto& w : words) line += (line.empty() ? "" : " ") + w;
    line += '\n';
    asio::write(s, asio::buffer(line), ec);
    std::string answer;
    if (!ec) asio::read(s, asio::dynamic_buffer(answer), ec);
    if (ec && ec != asio::error::eof) return {false, "the daemon's control socket failed: " + ec.message() + "\n", false};
    auto nl = answer.find('\n');
    if (nl == std::string::npos) return {false, "the daemon gave no answer\n", false};
    return {answer.substr(0, nl) == "ok", answer.substr(nl + 1)};
}

}  // namespace mxlab::appliance
