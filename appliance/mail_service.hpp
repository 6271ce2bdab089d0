// The mail service as the appliance runs it: the store, the directory of users, TLS, and the SMTP listeners (POP3 and IMAP join later).
#pragma once

#include <memory>

#include "appliance/service.hpp"
#include "core/asio.hpp"
#include "core/log.hpp"

namespace mxlab::appliance {

// Whether `cfg` asks for any mail listener at all.
bool wants_mail(const config::Config& cfg);

std::unique_ptr<Service> make_mail_service(asio::io_context& io, Logger& log);

}  // namespace mxlab::appliance
