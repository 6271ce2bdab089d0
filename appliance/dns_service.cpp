// The DNS service: builds the zone set (and its serials) from each config and
// swaps it into the UDP and TCP servers without stopping them.
#include "appliance/dns_service.hpp"

#include <thread>

#include "dns/serials.hpp"
#include "dns/tcp_server.hpp"
#include "dns/udp_server.hpp"
#include "dns/zone_holder.hpp"
#include "dns/zones.hpp"

namespace mxlab::appliance {

namespace {

std::string join(const std::vector<std::string>& errors) {
    std::string s;
    for (const auto& e : errors) {
        if (!s.empty()) s += "; ";
        s += e;
    }
    return s;
}

class DnsService final : public Service {
public:
    DnsService(asio::io_context& io, Logger& log) : log_(log), udp_(zones_, log), tcp_(io, zones_, log) {}

    std::string_view name() const override { return "dns"; }

    void start(std::shared_ptr<const config::Config> cfg) override {
        serials_ = std::make_unique<dns::SerialStore>(cfg->appliance.data_dir / "dns-serials");
        auto built = dns::build_zones(*cfg, *serials_);
        if (!built.errors.empty()) throw StartError("the zones cannot be built: " + join(built.errors));
        zones_.set(built.zones);
        listen_ = cfg->appliance.listen;
        port_ = cfg->ports.dns;
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
        auto built = dns::build_zones(*cfg, *serials_);
        if (!built.errors.empty()) return {"the zones cannot be built: " + join(built.errors), {}};
        if (cfg->appliance.listen != listen_ || cfg->ports.dns != port_)
            log_.warn("dns.reload.listeners", {{"detail", "appliance.listen and ports.dns apply at the next restart"}});
        return {{}, [this, zones = built.zones] { zones_.set(zones); }};
    }

    void stop() override {
        udp_.stop();
        tcp_.stop();
    }

private:
    Logger& log_;
    dns::ZoneHolder zones_;
    std::unique_ptr<dns::SerialStore> serials_;
    dns::UdpServer udp_;
    dns::TcpServer tcp_;
    std::vector<config::IpAddr> listen_;
    std::uint16_t port_ = 0;
};

}  // namespace

std::unique_ptr<Service> make_dns_service(asio::io_context& io, Logger& log) {
    return std::make_unique<DnsService>(io, log);
}

}  // namespace mxlab::appliance
