#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sluice::daemon {

// Tells the service manager how sluiced is doing, with sd_notify(3) over $NOTIFY_SOCKET:
// READY=1 once it serves, STATUS= a line for `systemctl status`, WATCHDOG=1 pings while it is
// alive, STOPPING=1 at shutdown. Does nothing when not started by one (no $NOTIFY_SOCKET).
// Thread-safe (each message is one datagram).
class ServiceNotifier {
 public:
  // Reads $WATCHDOG_USEC (and $WATCHDOG_PID) once.
  ServiceNotifier();

  void Ready(std::string_view status) const;
  void Status(std::string_view status) const;
  void Watchdog() const;
  void Stopping() const;
  // How often to send Watchdog(): half the manager's WatchdogSec; nullopt without a watchdog.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  void Send(const std::string& state) const;

  std::optional<std::chrono::microseconds> watchdog_interval_;
};

}  // namespace sluice::daemon
