// The one way mxlab includes Boost.Asio: works around Boost 1.74's
// awaitable.hpp using std::exchange without including <utility>.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mxlab {
namespace asio = boost::asio;
}
