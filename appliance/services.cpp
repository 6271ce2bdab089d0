// Builds the network services the config asks for.
#include "appliance/services.hpp"

namespace mxlab::appliance {

std::vector<std::unique_ptr<Service>> make_services(asio::io_context&, Logger&, const config::Config&) {
    std::vector<std::unique_ptr<Service>> services;
    return services;
}

}  // namespace mxlab::appliance
