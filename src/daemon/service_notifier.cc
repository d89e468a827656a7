#include "daemon/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <string>

#include "common/logging.h"

namespace sluice::daemon {

ServiceNotifier::ServiceNotifier() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void ServiceNotifier::Send(const std::string& state) const {
  // < 0: the socket is gone or refuses; the manager then sees no READY or no pings, which is
  // what it should act on. Logged at debug level only: this runs every few seconds.
  if (int sent = sd_notify(/*unset_environment=*/0, state.c_str()); sent < 0) {
    Log(LogLevel::kDebug, "sd_notify failed: " + std::to_string(-sent));
  }
}

void ServiceNotifier::Ready(std::string_view status) const {
  Send("READY=1\nSTATUS=" + std::string(status));
}

void ServiceNotifier::Status(std::string_view status) const {
  Send("STATUS=" + std::string(status));
}

void ServiceNotifier::Watchdog() const { Send("WATCHDOG=1"); }

void ServiceNotifier::Stopping() const { Send("STOPPING=1\nSTATUS=stopping: flushing batches"); }

}  // namespace sluice::daemon
