// The seam between the appliance and each network service (DNS, SMTP, ...).
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace mxlab::appliance {

// A start-up failure the user can act on (port in use, store cannot open):
// `serve` prints it and exits with status 2.
class StartError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What a service says about a new config before anything changes, so that a
// reload either applies everywhere or nowhere.
struct PreparedReload {
    std::string error;             // non-empty: the reload is refused, the old config keeps serving
    std::function<void()> commit;  // applies the new config; must not fail
};

class Service {
public:
    virtual ~Service() = default;
    virtual std::string_view name() const = 0;
    // Binds listeners and starts serving on the runtime's io_context; throws StartError.
    virtual void start(std::shared_ptr<const config::Config> cfg) = 0;
    virtual PreparedReload prepare_reload(std::shared_ptr<const config::Config> cfg) = 0;
    // Stops accepting, lets in-flight work finish, releases the listeners.
    virtual void stop() = 0;
};

}  // namespace mxlab::appliance
