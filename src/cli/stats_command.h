#pragma once

#include <chrono>

#include "config/settings.h"

namespace sluice::cli {

struct StatsOptions {
  bool watch = false;  // refresh until interrupted (or `count` pages)
  std::chrono::milliseconds interval{2000};
  int count = 0;  // with watch: stop after this many pages; 0 = never
};

// `sluice stats`: the running sluiced's counters, their rates and its state (spool, queue,
// flood ladder, connections, health), read from its /metrics and /healthz at
// settings.metrics.listen, like `vector top`. Rates are over `interval` (one page: two scrapes
// that far apart). Returns the exit code: 1 when the endpoint is off or does not answer.
int RunStats(const config::Settings& settings, const StatsOptions& options);

}  // namespace sluice::cli
