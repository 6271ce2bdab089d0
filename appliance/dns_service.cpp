// The DNS service: takes the zone set built from each config and swaps it
// into the UDP and TCP servers without stopping them.
#include "appliance/dns_service.hpp"

#include <thread>

#include "dns/forwarder.hpp"
#include "dns/tcp_server.hpp"
#include "dns/udp_server.hpp"

namespace mxlab::appliance {

namespace {

class DnsService final : public Service {
public:
    DnsService(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones)
        : log_(log), zones_(std::move(zones)), forwarder_(io, log), udp_(zones_->holder(), log), tcp_(io, zones_->holder(), log) {
        udp_.set_forwarder(&forwarder_);
        tcp_.set_forwarder(&forwarder_);
    }

    std::string_view name() const override { return "dns"; }

    void start(std::shared_ptr<const config::Config> cfg) override {
        auto built = zones_->build(cfg);
        if (!built.error.empty()) throw StartError(built.error);
        zones_->holder().set(built.zones);
        listen_ = cfg->appliance.listen;
        port_ = cfg->ports.dns;
        forwarder_.set_servers(cfg->dns.resolvers);
        forwarder_.set_source(dns::client::Source::from_listen(listen_));
        tcp_.set_connections_per_client(cfg->limits.connections_per_client);
        try {
            udp_.bind(listen_, port_, std::max(1u, std::thread::hardware_concurrency()));
            tcp_.bind(listen_, port_);
        } catch (const std::exception& e) {
            throw StartError(e.what());
        }
        udp_.start();
        tcp_.start();
        log_.info("dns.listening", {{"port", port_}, {"zones", cfg->domains.size()}});
    }

    PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) override {
        auto built = zones_->build(cfg);
        if (!built.error.empty()) return {built.error, {}};
        if (cfg->appliance.listen != listen_ || cfg->ports.dns != port_)
            log_.warn("dns.reload.listeners", {{"detail", "appliance.listen and ports.dns apply at the next restart"}});
        return {{}, [this, zones = built.zones, per_client = cfg->limits.connections_per_client,
                     resolvers = cfg->dns.resolvers] {
                    forwarder_.set_servers(resolvers);
                    zones_->holder().set(zones);
                    tcp_.set_connections_per_client(per_client);
                }};
    }

    void stop() override {
        forwarder_.stop();
        udp_.stop();
        tcp_.stop();
    }

private:
    Logger& log_;
    std::shared_ptr<Zones> zones_;
    dns::Forwarder forwarder_;  // before the servers: destroyed after them
    dns::UdpServer udp_;
    dns::TcpServer tcp_;
    std::vector<config::IpAddr> listen_;
    std::uint16_t port_ = 0;
};

}  // namespace

std::unique_ptr<Service> make_dns_service(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones) {
    return std::make_unique<DnsService>(io, log, std::move(zones));
}

}  // namespace mxlab::appliance
