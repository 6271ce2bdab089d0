// systemd's notification protocol (sd_notify), for `Type=notify` units.
#pragma once

#include <string>
#include <string_view>

namespace mxlab::appliance {

// Sends to $NOTIFY_SOCKET when it is set (a path, or "@name" for the abstract
// namespace). Does nothing otherwise; failures are ignored as systemd does.
class Notifier {
public:
    Notifier();  // reads NOTIFY_SOCKET once
    void send(std::string_view state) const;
    void ready() const { send("READY=1"); }
    void reloading() const;  // RELOADING=1 with MONOTONIC_USEC, as systemd 253+ wants
    void stopping() const { send("STOPPING=1"); }
    void status(std::string_view text) const { send("STATUS=" + std::string(text)); }

private:
    std::string socket_;
};

}  // namespace mxlab::appliance
