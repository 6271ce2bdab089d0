// Builds the network services the config asks for; the only place that knows them all.
#pragma once

#include <memory>
#include <vector>

#include "appliance/service.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

std::vector<std::unique_ptr<Service>> make_services(asio::io_context& io, Logger& log,
                                                    const config::Config& cfg);

}  // namespace mxlab::appliance
