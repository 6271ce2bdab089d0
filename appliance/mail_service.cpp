// The mail service: opens the store under data_dir, builds a snapshot (directory + TLS context) from each config and hands it to the SMTP, POP3 and IMAP servers and the queue runner.
#include "appliance/mail_service.hpp"

#include "appliance/tls_context.hpp"
#include "dns/resolver.hpp"
#include "mail/auth/directory.hpp"
#include "mail/auth/throttle.hpp"
#include "mail/imap/server.hpp"
#include "mail/net/open_files.hpp"
#include "mail/net/password_checks.hpp"
#include "mail/queue/listing.hpp"
#include "mail/pop3/server.hpp"
#include "mail/queue/runner.hpp"
#include "mail/smtp/server.hpp"
#include "mail/store/async_store.hpp"
#include "mail/store/store.hpp"

namespace mxlab::appliance {

namespace {

// The store's news as log lines. The store takes this hook rather than a
// Logger: mail/store stays free of core/log, and its tests watch the events
// directly.
void log_store_event(Logger& log, const std::filesystem::path& data_dir, const store::StoreEvent& e) {
    using Kind = store::StoreEvent::Kind;
    switch (e.kind) {
    case Kind::disk_full:
        log.error("store.disk_full", {{"data_dir", data_dir.string()}, {"free_bytes", e.free_bytes}, {"detail", e.detail},
                                      {"action", "free space on the file system holding data_dir: until then mail gets 451 and "
                                                 "POP3 deletions fail; the store resumes by itself, no restart needed"}});
        return;
    case Kind::write_error:
        log.error("store.write_error", {{"data_dir", data_dir.string()}, {"detail", e.detail},
                                        {"action", "check the disk holding data_dir (dmesg): until the store can write, mail gets "
                                                   "451; it retries by itself, and if no store.recovered line follows "
                                                   "within a minute, restart mxlab"}});
        return;
    case Kind::recovered:
        log.info("store.recovered", {{"outage_ms", e.outage.count()}, {"attempts", e.attempts}});
        return;
    case Kind::rocksdb:
        // RocksDB's warnings are its housekeeping; its errors are worth seeing at the default level.
        if (e.detail.starts_with("[ERROR]") || e.detail.starts_with("[FATAL]")) log.warn("store.rocksdb", {{"detail", e.detail}});
        else log.debug("store.rocksdb", {{"detail", e.detail}});
        return;
    case Kind::upgraded:
        log.info("store.upgraded", {{"data_dir", data_dir.string()}, {"detail", e.detail}});
        return;
    }
}

class MailService final : public Service {
public:
    MailService(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones, std::shared_ptr<ControlServer> control)
        : io_(io), log_(log), zones_(std::move(zones)), control_(std::move(control)), resolver_(io, zones_->holder(), log) {}

    ~MailService() override {
        // The servers' connections are gone (the io_context has stopped):
        // finish the store calls in flight, then sync and close.
        runner_.reset();
        imap_.reset();
        pop3_.reset();
        smtp_.reset();
        async_.reset();
        if (store_) store_->close();
    }

    std::string_view name() const override { return "mail"; }

    void start(std::shared_ptr<const config::Config> cfg) override {
        // Every connection is a descriptor: use all the system lets us (mail/net/open_files.hpp).
        const auto files = mail::net::raise_open_files();
        log_.info("mail.open_files", {{"soft", files.soft}, {"hard", files.hard}, {"was", files.was}});
        try {
            store::StoreOptions options{cfg->appliance.data_dir / "store"};
            options.on_event = [&log = log_, dir = cfg->appliance.data_dir](const store::StoreEvent& e) { log_store_event(log, dir, e); };
            store_ = std::make_unique<store::Store>(options);
        } catch (const std::exception& e) {
            throw StartError(e.what());
        }
        async_ = std::make_unique<store::AsyncStore>(*store_);
        // Our own domains are answered from these zones, also when services.dns is off.
        auto built = zones_->build(cfg);
        if (!built.error.empty()) throw StartError(built.error);
        zones_->holder().set(built.zones);
        resolver_.set_servers(cfg->dns.resolvers);
        resolver_.set_source(dns::client::Source::from_listen(cfg->appliance.listen));
        runner_ = std::make_unique<queue::Runner>(io_, *async_, resolver_, log_);
        smtp_ = std::make_unique<smtp::Server>(io_, *async_, throttle_, passwords_, log_);
        smtp_->on_queued([r = runner_.get()] { r->wake(); });
        pop3_ = std::make_unique<pop3::Server>(io_, *async_, throttle_, passwords_, log_);
        imap_ = std::make_unique<imap::Server>(io_, *async_, throttle_, passwords_, log_);
        auto snap = make_snapshot(cfg, *built.zones);
        smtp_->set_snapshot(snap);
        pop3_->set_snapshot(snap);
        imap_->set_snapshot(snap);
        runner_->set_snapshot(runner_snapshot(*snap));
        listen_ = listeners_of(*cfg);
        try {
            const auto& ports = cfg->ports;
            if (cfg->services.smtp && ports.smtp) smtp_->bind(cfg->appliance.listen, ports.smtp, smtp::Port::mx);
            if (cfg->services.submission && ports.submission)
                smtp_->bind(cfg->appliance.listen, ports.submission, smtp::Port::submission);
            if (cfg->services.submission && ports.smtps) smtp_->bind(cfg->appliance.listen, ports.smtps, smtp::Port::smtps);
            if (cfg->services.pop3 && ports.pop3) pop3_->bind(cfg->appliance.listen, ports.pop3, pop3::Port::pop3);
            if (cfg->services.pop3 && ports.pop3s) pop3_->bind(cfg->appliance.listen, ports.pop3s, pop3::Port::pop3s);
            if (cfg->services.imap && ports.imap) imap_->bind(cfg->appliance.listen, ports.imap, imap::Port::imap);
            if (cfg->services.imap && ports.imaps) imap_->bind(cfg->appliance.listen, ports.imaps, imap::Port::imaps);
        } catch (const std::exception& e) {
            throw StartError(e.what());
        }
        smtp_->start();
        pop3_->start();
        imap_->start();
        runner_->start();
        add_control_commands();
        if (cfg->smtp.relay == config::Relay::open)
            log_.warn("smtp.relay.open", {{"detail", "smtp.relay = \"open\": anyone may relay through this server"}});
        log_.info("mail.listening", {{"smtp", cfg->services.smtp ? cfg->ports.smtp : 0},
                                     {"submission", cfg->services.submission ? cfg->ports.submission : 0},
                                     {"smtps", cfg->services.submission ? cfg->ports.smtps : 0},
                                     {"pop3", cfg->services.pop3 ? cfg->ports.pop3 : 0},
                                     {"pop3s", cfg->services.pop3 ? cfg->ports.pop3s : 0},
                                     {"imap", cfg->services.imap ? cfg->ports.imap : 0},
                                     {"imaps", cfg->services.imap ? cfg->ports.imaps : 0},
                                     {"relay", config::to_string(cfg->smtp.relay)}});
    }

    PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) override {
        // Zones first: the certificate names every name in them that points at us.
        auto built = zones_->build(cfg);
        if (!built.error.empty()) return {built.error, {}};
        std::shared_ptr<const smtp::Snapshot> snap;
        try {
            snap = make_snapshot(cfg, *built.zones);
        } catch (const std::exception& e) {
            return {e.what(), {}};
        }
        if (listeners_of(*cfg) != listen_)
            log_.warn("mail.reload.listeners", {{"detail", "appliance.listen, [ports] and [services] for mail apply at the next restart"}});
        return {{}, [this, snap, cfg, zones = built.zones] {
            zones_->holder().set(zones);
            resolver_.set_servers(cfg->dns.resolvers);
            smtp_->set_snapshot(snap);
            pop3_->set_snapshot(snap);
            imap_->set_snapshot(snap);
            runner_->set_snapshot(runner_snapshot(*snap));
            runner_->wake();
        }};
    }

    void stop() override {
        if (smtp_) smtp_->stop();
        if (pop3_) pop3_->stop();
        if (imap_) imap_->stop();
        if (runner_) runner_->stop();
        resolver_.stop();
    }

private:
    static std::shared_ptr<const queue::RunnerSnapshot> runner_snapshot(const smtp::Snapshot& s) {
        auto r = std::make_shared<queue::RunnerSnapshot>();
        r->config = s.config;
        r->directory = s.directory;
        return r;
    }

    // `mxlab queue list | retry [ID] | delete ID` and `mxlab unblock ADDRESS`.
    void add_control_commands() {
        control_->add("queue", [this](std::vector<std::string> args) { return queue_command(std::move(args)); });
        control_->add("unblock", [this](std::vector<std::string> args) { return unblock_command(std::move(args)); });
    }

    // Forgets the failed logins from one client (its IPv6 /64), so a class
    // locked out by one student's typos can log in at once.
    asio::awaitable<ControlReply> unblock_command(std::vector<std::string> args) {
        const auto address = args.size() == 1 ? config::IpAddr::parse(args[0]) : std::nullopt;
        if (!address) co_return ControlReply{false, "unblock takes one client address, like 10.0.1.7\n"};
        const auto forgotten = throttle_.unblock(*address);
        log_.info("auth.unblocked", {{"client", address->str()}, {"entries", forgotten}});
        co_return ControlReply{true, forgotten ? address->str() + ": its failed logins are forgotten; it may log in again\n"
                                               : address->str() + ": no failed logins were counted for it\n"};
    }

    asio::awaitable<ControlReply> queue_command(std::vector<std::string> args) {
        std::string error;
        const auto cmd = queue::parse_queue_command(args, error);
        if (!cmd) co_return ControlReply{false, error + "\n"};
        using Verb = queue::QueueCommand::Verb;
        if (cmd->verb == Verb::list) {
            auto entries = co_await async_->queue();
            if (!entries) co_return ControlReply{false, "cannot read the queue: " + entries.error().message + "\n"};
            co_return ControlReply{true, queue::format_queue(*entries, std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()))};
        }
        if (cmd->verb == Verb::retry) {
            std::vector<store::QueueId> ids;
            if (cmd->id) {
                ids.push_back(*cmd->id);
            } else {
                auto entries = co_await async_->queue();
                if (!entries) co_return ControlReply{false, "cannot read the queue: " + entries.error().message + "\n"};
                for (const auto& e : *entries) ids.push_back(e.id);
            }
            std::size_t n = 0;
            for (auto q : ids) {
                store::QueueUpdate u;
                u.next_try = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
                u.count_attempt = false;
                auto r = co_await async_->update_queue(q, u);
                if (!r && cmd->id) co_return ControlReply{false, "queue id " + std::to_string(q) + ": " + r.error().message + "\n"};
                if (r) ++n;
            }
            runner_->wake();
            log_.info("queue.retry", {{"entries", n}});
            co_return ControlReply{true, std::to_string(n) + (n == 1 ? " message" : " messages") + " will be tried now\n"};
        }
        const store::QueueId id = *cmd->id;
        auto r = co_await async_->remove_queue(id);
        if (!r) co_return ControlReply{false, "queue id " + std::to_string(id) + ": " + r.error().message + "\n"};
        log_.info("queue.deleted", {{"queue_id", id}});
        co_return ControlReply{true, "queue id " + std::to_string(id) + " deleted\n"};
    }

    std::shared_ptr<const smtp::Snapshot> make_snapshot(std::shared_ptr<const config::Config> cfg, const dns::ZoneSet& zones) {
        auto snap = std::make_shared<smtp::Snapshot>();
        snap->config = cfg;
        snap->directory = std::make_shared<const auth::Directory>(*cfg);
        snap->tls = make_tls_context(*cfg, log_, &zones);
        return snap;
    }

    // What a reload cannot change without a restart.
    static std::vector<std::uint32_t> listeners_of(const config::Config& cfg) {
        std::vector<std::uint32_t> v{cfg.services.smtp, cfg.services.submission, cfg.services.pop3, cfg.services.imap, cfg.ports.smtp,
                                     cfg.ports.submission,  cfg.ports.smtps,        cfg.ports.pop3,    cfg.ports.pop3s,
                                     cfg.ports.imap,        cfg.ports.imaps};
        for (const auto& a : cfg.appliance.listen) v.push_back(std::hash<std::string>{}(a.str()));
        return v;
    }

    asio::io_context& io_;
    Logger& log_;
    std::shared_ptr<Zones> zones_;
    std::shared_ptr<ControlServer> control_;
    dns::Resolver resolver_;
    auth::LoginThrottle throttle_;
    mail::net::PasswordChecks passwords_;  // outlives the servers that await it
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<store::AsyncStore> async_;
    std::unique_ptr<smtp::Server> smtp_;
    std::unique_ptr<pop3::Server> pop3_;
    std::unique_ptr<imap::Server> imap_;
    std::unique_ptr<queue::Runner> runner_;
    std::vector<std::uint32_t> listen_;
};

}  // namespace

bool wants_mail(const config::Config& cfg) {
    return (cfg.services.smtp && cfg.ports.smtp) || (cfg.services.submission && (cfg.ports.submission || cfg.ports.smtps)) ||
           (cfg.services.pop3 && (cfg.ports.pop3 || cfg.ports.pop3s)) || (cfg.services.imap && (cfg.ports.imap || cfg.ports.imaps));
}

std::unique_ptr<Service> make_mail_service(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones,
                                           std::shared_ptr<ControlServer> control) {
    return std::make_unique<MailService>(io, log, std::move(zones), std::move(control));
}

}  // namespace mxlab::appliance
