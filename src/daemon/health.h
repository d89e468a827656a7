#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "daemon/daemon_view.h"

namespace sluice::daemon {

// A thread that has been neither waiting for work nor going round its loop this long is
// stuck (common/heartbeat.h): the watchdog pings stop and /healthz says so.
inline constexpr std::chrono::seconds kStuckAfter{30};
// Events waiting while no writer has a connection this long: the database is unreachable.
inline constexpr std::chrono::seconds kUnreachableAfter{30};
// Shedding makes sluiced unhealthy for this long after the last event shed.
inline constexpr std::chrono::seconds kShedRecently{60};

struct HealthReport {
  struct Problem {
    std::string kind;  // "pipeline", "writers", "follow", "database" or "shedding"
    std::string text;  // for a person: what and since when
  };
  bool alive = true;              // the pipeline and every writer are going round
  std::vector<Problem> problems;  // empty when healthy
  size_t stuck_writers = 0;
  bool pipeline_stuck = false;
  bool follower_stuck = false;  // the [[follow]] thread, if any
  // How many times each kind of problem has begun since start (its episodes).
  std::map<std::string, uint64_t> episodes;

  bool healthy() const { return problems.empty(); }
  // "ok", or the problems joined with "; ".
  std::string Summary() const;
};

// Judges a running sluiced from its view: alive (for the watchdog) and healthy (for
// /healthz, the sluice_healthy gauge and STATUS=). Logs each kind of problem once when it
// starts and once when it ends.
// Thread-safe: Check() from one thread (the service monitor), Last() from any.
class HealthMonitor {
 public:
  explicit HealthMonitor(const DaemonView& view);

  // Looks at the daemon now; the result is also what Last() returns until the next Check().
  HealthReport Check() EXCLUDES(mu_);
  HealthReport Last() const EXCLUDES(mu_);

 private:
  void LogChanges(const HealthReport& report);

  const DaemonView view_;
  std::optional<Clock::TimePoint> unreachable_since_;  // Check() only
  std::optional<Clock::TimePoint> last_shed_;
  uint64_t shed_seen_ = 0;
  std::set<std::string> kinds_;  // the kinds of problem reported at the last Check()
  std::map<std::string, uint64_t> episodes_;
  mutable Mutex mu_;
  HealthReport last_ GUARDED_BY(mu_);
};

}  // namespace sluice::daemon
