// What the mail servers (SMTP, POP3, later IMAP) take from one config: the config, its directory of users and the TLS context; swapped whole on reload.
#pragma once

#include <memory>

#include "config/config.hpp"
#include "core/asio_ssl.hpp"
#include "mail/auth/directory.hpp"

namespace mxlab::mail {

struct Snapshot {
    std::shared_ptr<const config::Config> config;
    std::shared_ptr<const auth::Directory> directory;
    std::shared_ptr<asio::ssl::context> tls;  // null: no STARTTLS/STLS, no implicit-TLS ports
};

}  // namespace mxlab::mail
