// Builds the network services the config asks for.
#include "appliance/services.hpp"

#include "appliance/dns_service.hpp"
#include "appliance/mail_service.hpp"

namespace mxlab::appliance {

std::vector<std::unique_ptr<Service>> make_services(asio::io_context& io, Logger& log, const config::Config& cfg) {
    std::vector<std::unique_ptr<Service>> services;
    if (cfg.services.dns && cfg.ports.dns != 0) services.push_back(make_dns_service(io, log));
    if (wants_mail(cfg)) services.push_back(make_mail_service(io, log));
    return services;
}

}  // namespace mxlab::appliance
