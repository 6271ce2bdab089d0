// The mail service: opens the store under data_dir, builds a snapshot (directory + TLS context) from each config and hands it to the SMTP servers.
#include "appliance/mail_service.hpp"

#include "appliance/tls_context.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/smtp/server.hpp"
#include "mail/store/async_store.hpp"
#include "mail/store/store.hpp"

namespace mxlab::appliance {

namespace {

class MailService final : public Service {
public:
    MailService(asio::io_context& io, Logger& log) : io_(io), log_(log) {}

    ~MailService() override {
        // The servers' connections are gone (the io_context has stopped):
        // finish the store calls in flight, then sync and close.
        smtp_.reset();
        async_.reset();
        if (store_) store_->close();
    }

    std::string_view name() const override { return "mail"; }

    void start(std::shared_ptr<const config::Config> cfg) override {
        try {
            store_ = std::make_unique<store::Store>(store::StoreOptions{cfg->appliance.data_dir / "store"});
        } catch (const std::exception& e) {
            throw StartError(e.what());
        }
        async_ = std::make_unique<store::AsyncStore>(*store_);
        smtp_ = std::make_unique<smtp::Server>(io_, *async_, throttle_, log_);
        smtp_->set_snapshot(make_snapshot(cfg));
        listen_ = listeners_of(*cfg);
        try {
            const auto& ports = cfg->ports;
            if (cfg->services.smtp && ports.smtp) smtp_->bind(cfg->appliance.listen, ports.smtp, smtp::Port::mx);
            if (cfg->services.submission && ports.submission)
                smtp_->bind(cfg->appliance.listen, ports.submission, smtp::Port::submission);
            if (cfg->services.submission && ports.smtps) smtp_->bind(cfg->appliance.listen, ports.smtps, smtp::Port::smtps);
        } catch (const std::exception& e) {
            throw StartError(e.what());
        }
        smtp_->start();
        if (cfg->smtp.relay == config::Relay::open)
            log_.warn("smtp.relay.open", {{"detail", "smtp.relay = \"open\": anyone may relay through this server"}});
        log_.info("mail.listening", {{"smtp", cfg->services.smtp ? cfg->ports.smtp : 0},
                                     {"submission", cfg->services.submission ? cfg->ports.submission : 0},
                                     {"smtps", cfg->services.submission ? cfg->ports.smtps : 0},
                                     {"relay", config::to_string(cfg->smtp.relay)}});
    }

    PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) override {
        std::shared_ptr<const smtp::Snapshot> snap;
        try {
            snap = make_snapshot(cfg);
        } catch (const std::exception& e) {
            return {e.what(), {}};
        }
        if (listeners_of(*cfg) != listen_)
            log_.warn("mail.reload.listeners", {{"detail", "appliance.listen, [ports] and [services] for mail apply at the next restart"}});
        return {{}, [this, snap] { smtp_->set_snapshot(snap); }};
    }

    void stop() override {
        if (smtp_) smtp_->stop();
    }

private:
    std::shared_ptr<const smtp::Snapshot> make_snapshot(std::shared_ptr<const config::Config> cfg) {
        auto snap = std::make_shared<smtp::Snapshot>();
        snap->config = cfg;
        snap->directory = std::make_shared<const auth::Directory>(*cfg);
        snap->tls = make_tls_context(*cfg, log_);
        return snap;
    }

    // What a reload cannot change without a restart.
    static std::vector<std::uint32_t> listeners_of(const config::Config& cfg) {
        std::vector<std::uint32_t> v{cfg.services.smtp, cfg.services.submission, cfg.ports.smtp, cfg.ports.submission, cfg.ports.smtps};
        for (const auto& a : cfg.appliance.listen) v.push_back(std::hash<std::string>{}(a.str()));
        return v;
    }

    asio::io_context& io_;
    Logger& log_;
    auth::LoginThrottle throttle_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::AsyncStore> async_;
    std::unique_ptr<smtp::Server> smtp_;
    std::vector<std::uint32_t> listen_;
};

}  // namespace

bool wants_mail(const config::Config& cfg) {
    return (cfg.services.smtp && cfg.ports.smtp) || (cfg.services.submission && (cfg.ports.submission || cfg.ports.smtps));
}

std::unique_ptr<Service> make_mail_service(asio::io_context& io, Logger& log) { return std::make_unique<MailService>(io, log); }

}  // namespace mxlab::appliance
