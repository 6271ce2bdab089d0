// The mail service as the appliance runs it: the store, the directory of users, TLS, and the SMTP and POP3 listeners, the outbound queue (IMAP joins later).
#pragma once

#include <memory>

#include "appliance/control.hpp"
#include "appliance/service.hpp"
#include "appliance/zones.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

// Whether `cfg` asks for any mail listener at all.
bool wants_mail(const config::Config& cfg);

// Mail looks up its own domains in `zones` and offers `mxlab queue` on `control`.
std::unique_ptr<Service> make_mail_service(asio::io_context& io, Logger& log, std::shared_ptr<Zones> zones,
                                           std::shared_ptr<ControlServer> control);

}  // namespace mxlab::appliance
