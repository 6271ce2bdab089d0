// The one way mxlab includes Boost.Asio's TLS streams (link OpenSSL::SSL where it is used).
#pragma once

#include "core/asio.hpp"

#include <boost/asio/ssl.hpp>
