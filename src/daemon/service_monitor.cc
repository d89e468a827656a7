#include "daemon/service_monitor.h"

#include <algorithm>

#include "common/thread_name.h"

namespace sluice::daemon {

std::string StatusLine(const DaemonView& view, const HealthReport& health, double rate) {
  const Counters& c = view.counters;
  std::string line = "receiving " + std::to_string(static_cast<uint64_t>(rate + 0.5)) + "/s; " +
                     std::to_string(view.spool.pending_events()) + " events waiting (" +
                     std::to_string(c.spool_disk_bytes.load(std::memory_order_relaxed) >> 20) +
                     " MiB on disk); shed " +
                     std::to_string(c.shed.load(std::memory_order_relaxed)) + "; " +
                     std::to_string(view.pool.Connections()) + "/" +
                     std::to_string(view.pool.writers()) + " connections";
  if (!health.healthy()) line += "; unhealthy: " + health.Summary();
  return line;
}

ServiceMonitor::ServiceMonitor(const DaemonView& view, HealthMonitor& health,
                               const ServiceNotifier& notifier)
    : view_(view),
      health_(health),
      notifier_(notifier),
      thread_([this](std::stop_token stop) { Run(std::move(stop)); }) {}

ServiceMonitor::~ServiceMonitor() {
  thread_.request_stop();
  cv_.notify_all();
}

void ServiceMonitor::Run(std::stop_token stop) {
  SetCurrentThreadName("sluice-monitor");
  constexpr std::chrono::seconds tick{1};
  auto now = view_.clock.Now();
  auto next_status = now + kStatusInterval;
  auto next_ping = now;
  auto rate_since = now;
  uint64_t received_since = view_.counters.received.load(std::memory_order_relaxed);
  double rate = 0;
  while (!stop.stop_requested()) {
    HealthReport report = health_.Check();
    now = view_.clock.Now();
    if (auto interval = notifier_.watchdog_interval(); interval && now >= next_ping) {
      if (report.alive) notifier_.Watchdog();  // withheld: the manager restarts sluiced
      next_ping = now + *interval;
    }
    if (now >= next_status) {
      uint64_t received = view_.counters.received.load(std::memory_order_relaxed);
      std::chrono::duration<double> elapsed = now - rate_since;
      if (elapsed.count() > 0) {
        rate = static_cast<double>(received - received_since) / elapsed.count();
      }
      received_since = received;
      rate_since = now;
      notifier_.Status(StatusLine(view_, report, rate));
      next_status = now + kStatusInterval;
    }
    std::chrono::nanoseconds wait = tick;
    if (auto interval = notifier_.watchdog_interval()) {
      wait = std::min<std::chrono::nanoseconds>(wait, *interval);
    }
    MutexLock lock(mu_);
    view_.clock.WaitFor(cv_, lock, stop, wait, [] { return false; });
  }
}

}  // namespace sluice::daemon
