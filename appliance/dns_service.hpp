// The DNS service as the appliance runs it: zones built from the config, served over UDP and TCP.
#pragma once

#include <memory>

#include "appliance/service.hpp"
#include "appliance/zones.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

std::unique_ptr<Service> make_dns_service(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones);

}  // namespace mxlab::appliance
