#pragma once

#include <chrono>
#include <condition_variable>
#include <string>
#include <thread>

#include "common/mutex.h"
#include "daemon/daemon_view.h"
#include "daemon/health.h"
#include "daemon/service_notifier.h"

namespace sluice::daemon {

// How often the STATUS= line is sent to the service manager.
inline constexpr std::chrono::seconds kStatusInterval{5};

// The thread that watches a running sluiced once a second: checks its health (logging
// changes), sends the STATUS= line every kStatusInterval and, with a watchdog, WATCHDOG=1
// only while the pipeline and every writer are alive, so that a stuck one gets sluiced
// restarted. Thread-safe: construct and destroy on one thread; `view` and `notifier` must
// outlive this.
class ServiceMonitor {
 public:
  ServiceMonitor(const DaemonView& view, HealthMonitor& health, const ServiceNotifier& notifier);
  ~ServiceMonitor();
  ServiceMonitor(const ServiceMonitor&) = delete;
  ServiceMonitor& operator=(const ServiceMonitor&) = delete;

 private:
  void Run(std::stop_token stop);

  const DaemonView view_;
  HealthMonitor& health_;
  const ServiceNotifier& notifier_;
  Mutex mu_;
  std::condition_variable_any cv_;
  std::jthread thread_;  // last: started when everything above is ready
};

// "receiving 1234/s; 5678 events waiting (12 MiB on disk); shed 0; 2/2 connections" and, when
// unhealthy, "; unhealthy: <problems>". `rate`: datagrams/s lately.
std::string StatusLine(const DaemonView& view, const HealthReport& health, double rate);

}  // namespace sluice::daemon
