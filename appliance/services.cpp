// Builds the network services the config asks for.
#include "appliance/services.hpp"

#include "appliance/control.hpp"
#include "appliance/dns_service.hpp"
#include "appliance/mail_service.hpp"
#include "appliance/zones.hpp"

namespace mxlab::appliance {

namespace {

// The control server is shared with the services that add commands to it.
class SharedService final : public Service {
public:
    explicit SharedService(std::shared_ptr<Service> s) : s_(std::move(s)) {}
    std::string_view name() const override { return s_->name(); }
    void start(std::shared_ptr<const config::Config> cfg) override { s_->start(std::move(cfg)); }
    PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) override { return s_->prepare_reload(std::move(cfg)); }
    void stop() override { s_->stop(); }

private:
    std::shared_ptr<Service> s_;
};

}  // namespace

std::vector<std::unique_ptr<Service>> make_services(asio::io_context& io, Logger& log, const config::Config& cfg) {
    std::vector<std::unique_ptr<Service>> services;
    auto zones = std::make_shared<Zones>();
    auto control = std::make_shared<ControlServer>(io, log);
    if (cfg.services.dns && cfg.ports.dns != 0) services.push_back(make_dns_service(io, log, zones));
    if (wants_mail(cfg)) services.push_back(make_mail_service(io, log, zones, control));
    // Last, so that it starts after the services that answer through it and stops first.
    services.push_back(std::make_unique<SharedService>(control));
    return services;
}

}  // namespace mxlab::appliance
