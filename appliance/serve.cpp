// `mxlab serve`: loads the config, starts the services on a pool of threads
// sharing one io_context, and handles SIGHUP (reload) and SIGTERM/SIGINT (stop).
#include "appliance/serve.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <iostream>
#include <system_error>
#include <thread>
#include <vector>

#include "appliance/check.hpp"
#include "appliance/notify.hpp"
#include "appliance/services.hpp"
#include "config/config.hpp"
#include "core/asio.hpp"
#include "mxlab_version.hpp"

namespace mxlab::appliance {

namespace {

using ConfigPtr = std::shared_ptr<const config::Config>;

LogLevel log_level_of(const config::Config& cfg) {
    switch (cfg.appliance.log_level) {
    case config::LogLevel::error: return LogLevel::error;
    case config::LogLevel::warn: return LogLevel::warn;
    case config::LogLevel::info: return LogLevel::info;
    case config::LogLevel::debug: return LogLevel::debug;
    }
    return LogLevel::info;
}

void log_diagnostics(Logger& log, std::string_view event, const std::filesystem::path& file,
                     const std::vector<config::Diagnostic>& diags) {
    for (const auto& d : diags) {
        auto level = d.severity == config::Diagnostic::Severity::error ? LogLevel::error : LogLevel::warn;
        log.log(level, event, {{"detail", config::format(file, d)}});
    }
}

// Takes SIGHUP, SIGTERM and SIGINT away from every thread (the mask is
// inherited, so it must exist before the pool starts) and hands them to
// `on_signal` one at a time. Unlike a handler that is removed at shutdown, a
// second SIGTERM or Ctrl-C while stopping cannot kill the process halfway.
class SignalThread {
public:
    explicit SignalThread(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
        sigemptyset(&set_);
        sigaddset(&set_, SIGHUP);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
        thread_ = std::jthread([this] { loop(); });
    }
    ~SignalThread() {
        done_ = true;
        thread_.join();
    }

private:
    void loop() {
        const timespec tick{0, 100 * 1000 * 1000};
        while (!done_) {
            int sig = sigtimedwait(&set_, nullptr, &tick);
            if (sig > 0) on_signal_(sig);
        }
    }

    std::function<void(int)> on_signal_;
    sigset_t set_{};
    std::atomic<bool> done_{false};
    std::jthread thread_;
};

// Owns the running services and the current config snapshot.
class Daemon {
public:
    Daemon(std::filesystem::path file, Logger& log) : file_(std::move(file)), log_(log) {}

    int run(config::Config initial) {
        cfg_ = std::make_shared<const config::Config>(std::move(initial));
        log_.set_level(log_level_of(*cfg_));

        std::error_code ec;
        // 0700 under serve's umask; an existing one keeps its mode (check_disk warned).
        std::filesystem::create_directories(cfg_->appliance.data_dir, ec);
        if (ec) {
            return fail("data_dir " + cfg_->appliance.data_dir.string() + " cannot be created: " + ec.message() +
                        "; create it or point appliance.data_dir somewhere writable");
        }

        unsigned threads = std::max(1u, std::thread::hardware_concurrency());
        asio::io_context io(static_cast<int>(threads));
        // Keeps run() going while no service has work pending; released on stop.
        auto work = asio::make_work_guard(io);
        // A strand: a SIGHUP and a SIGTERM close together are handled one after the other.
        auto signal_strand = asio::make_strand(io);
        SignalThread signals([&](int sig) { asio::post(signal_strand, [&, sig] { on_signal(sig, work); }); });
        services_ = make_services(io, log_, *cfg_);
        try {
            for (auto& s : services_) s->start(cfg_);
        } catch (const StartError& e) {
            stop_services();
            services_.clear();  // before the io_context their sockets belong to
            return fail(e.what());
        }

        log_.info("ready", {{"version", MXLAB_VERSION},
                            {"config", file_.string()},
                            {"threads", threads},
                            {"domains", cfg_->domains.size()}});
        notifier_.ready();

        std::vector<std::jthread> pool;
        for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
        io.run();
        pool.clear();
        services_.clear();
        log_.info("stopped");
        return 0;
    }

private:
    int fail(const std::string& message) {
        log_.error("start.failed", {{"detail", message}});
        std::cerr << "mxlab: " << message << '\n';
        return 2;
    }

    void on_signal(int sig, asio::executor_work_guard<asio::io_context::executor_type>& work) {
        if (sig == SIGHUP) {
            if (!stopping_) reload();
            return;
        }
        if (stopping_) {
            log_.info("stopping.already", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
            return;
        }
        stopping_ = true;
        log_.info("stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
        notifier_.stopping();
        stop_services();
        // Once the services have let go of their sockets and in-flight
        // work has finished, io_context::run() returns by itself.
        work.reset();
    }

    void reload() {
        notifier_.reloading();
        log_.info("reload.start", {{"config", file_.string()}});
        auto result = config::load_file(file_);
        log_diagnostics(log_, result.ok() ? "reload.warning" : "reload.error", file_, result.diagnostics);
        if (!result.ok()) {
            log_.error("reload.failed", {{"reason", "config has errors; the previous config keeps serving"}});
            notifier_.ready();
            return;
        }
        keep_data_dir(*result.config);
        auto next = std::make_shared<const config::Config>(std::move(*result.config));
        std::vector<std::function<void()>> commits;
        for (auto& s : services_) {
            auto prepared = s->prepare_reload(next);
            if (!prepared.error.empty()) {
                log_.error("reload.failed", {{"service", std::string(s->name())},
                                             {"reason", prepared.error + "; the previous config keeps serving"}});
                notifier_.ready();
                return;
            }
            commits.push_back(std::move(prepared.commit));
        }
        for (auto& c : commits)
            if (c) c();
        cfg_ = next;
        log_.set_level(log_level_of(*cfg_));
        log_.info("reload.ok", {{"domains", cfg_->domains.size()}});
        notifier_.ready();
    }

    // The store, the control socket and the DNS serials stay open where they
    // were, so a new data_dir waits for a restart. Until then nothing is made
    // there (a typo would leave a folder with a new self-signed pair behind):
    // the new snapshot keeps the running data_dir, and the default TLS pair in it.
    void keep_data_dir(config::Config& next) {
        const auto& dir = cfg_->appliance.data_dir;
        if (next.appliance.data_dir == dir) return;
        log_.warn("reload.data_dir", {{"detail", "appliance.data_dir changed from " + dir.string() + " to " +
                                                     next.appliance.data_dir.string() +
                                                     ": it applies at the next restart; until then this appliance "
                                                     "keeps using " + dir.string() + " and creates nothing in the new one"}});
        if (!explicit_tls(next)) {
            next.tls.cert = dir / "tls" / "cert.pem";
            next.tls.key = dir / "tls" / "key.pem";
        }
        next.appliance.data_dir = dir;
    }

    void stop_services() {
        for (auto it = services_.rbegin(); it != services_.rend(); ++it) (*it)->stop();
    }

    std::filesystem::path file_;
    Logger& log_;
    Notifier notifier_;
    ConfigPtr cfg_;
    std::vector<std::unique_ptr<Service>> services_;
    bool stopping_ = false;  // only touched on the signal strand
};

}  // namespace

int serve(const std::filesystem::path& config_file, Logger& log) {
    // Before anything is created: data_dir, the store and the TLS key hold
    // every user's mail and secrets, so what serve creates is its owner's
    // alone (folders 0700, files 0600), whatever umask it was started with.
    ::umask(077);
    // With `mxlab check`'s look at the disk: a missing explicit TLS pair is a
    // config error (exit 1), like a typo in the TOML.
    auto result = load_checked(config_file);
    for (const auto& d : result.diagnostics) std::cerr << config::format(config_file, d) << '\n';
    if (!result.ok()) return 1;
    // A daemon writing to a closed pipe must get EPIPE, not die.
    std::signal(SIGPIPE, SIG_IGN);
    Daemon daemon(config_file, log);
    return daemon.run(std::move(*result.config));
}

}  // namespace mxlab::appliance
