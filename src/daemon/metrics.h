#pragma once

#include <cstdint>
#include <string>

#include "daemon/daemon_view.h"
#include "daemon/health.h"

namespace sluice::daemon {

// The page GET /metrics serves: every counter of the accounting, the gauges of the queue, the
// spool, the flood ladder and the writers, the commit-time and event-age histograms, and
// health, in the Prometheus text format (README "Watching it" lists the families).
// `started_us`: when sluiced started (wall µs). Thread-safe.
std::string RenderMetrics(const DaemonView& view, const HealthReport& health, int64_t started_us);

}  // namespace sluice::daemon
