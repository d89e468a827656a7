#include "daemon/health.h"

#include "common/logging.h"

namespace sluice::daemon {
namespace {

std::string Seconds(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

std::string HealthReport::Summary() const {
  if (problems.empty()) return "ok";
  std::string joined;
  for (const Problem& problem : problems) {
    if (!joined.empty()) joined += "; ";
    joined += problem.text;
  }
  return joined;
}

HealthMonitor::HealthMonitor(const DaemonView& view)
    : view_(view), shed_seen_(view.counters.shed.load(std::memory_order_relaxed)) {
  for (const char* kind : {"pipeline", "writers", "follow", "database", "shedding"})
    episodes_[kind] = 0;
}

HealthReport HealthMonitor::Check() {
  const auto now = view_.clock.Now();
  HealthReport report;
  auto problem = [&](const std::string& kind, const std::string& text) {
    report.problems.push_back({kind, text});
  };

  auto pipeline_silent = view_.pipeline.heartbeat().SinceBeat();
  if (pipeline_silent > kStuckAfter) {
    report.pipeline_stuck = true;
    problem("pipeline", "pipeline stuck for " + Seconds(pipeline_silent));
  }
  report.stuck_writers = view_.pool.StuckWriters(kStuckAfter);
  if (report.stuck_writers > 0) {
    problem("writers", std::to_string(report.stuck_writers) + " of " +
                           std::to_string(view_.pool.writers()) + " writers stuck for over " +
                           Seconds(kStuckAfter));
  }
  report.alive = !report.pipeline_stuck && report.stuck_writers == 0;
  // A follower blocked in a read (a log disk that hangs) stops only the followed files: the
  // socket is still served, so it is unhealthy without stopping the watchdog.
  if (view_.follower != nullptr) {
    auto follower_silent = view_.follower->heartbeat().SinceBeat();
    if (follower_silent > kStuckAfter) {
      report.follower_stuck = true;
      problem("follow", "file follower stuck for " + Seconds(follower_silent));
    }
  }

  const uint64_t waiting = view_.spool.pending_events();
  if (view_.pool.Connections() == 0 && waiting > 0) {
    if (!unreachable_since_) unreachable_since_ = now;
    if (now - *unreachable_since_ >= kUnreachableAfter) {
      problem("database", "database unreachable: no connection for " +
                              Seconds(now - *unreachable_since_) + ", " + std::to_string(waiting) +
                              " events waiting");
    }
  } else {
    unreachable_since_.reset();
  }

  const uint64_t shed = view_.counters.shed.load(std::memory_order_relaxed);
  if (shed != shed_seen_) last_shed_ = now;
  shed_seen_ = shed;
  if (last_shed_ && now - *last_shed_ < kShedRecently) {
    problem("shedding", "shedding events: " + std::to_string(shed) + " shed, the last " +
                            Seconds(now - *last_shed_) + " ago");
  }

  LogChanges(report);
  report.episodes = episodes_;
  MutexLock lock(mu_);
  last_ = report;
  return report;
}

HealthReport HealthMonitor::Last() const {
  MutexLock lock(mu_);
  return last_;
}

void HealthMonitor::LogChanges(const HealthReport& report) {
  std::set<std::string> kinds;
  for (const HealthReport::Problem& problem : report.problems) {
    kinds.insert(problem.kind);
    if (kinds_.count(problem.kind) == 0) {
      LogWarn("unhealthy: " + problem.text);
      ++episodes_[problem.kind];
    }
  }
  for (const std::string& kind : kinds_) {
    if (kinds.count(kind) == 0) LogInfo("healthy again: " + kind + " problem over");
  }
  kinds_ = std::move(kinds);
}

}  // namespace sluice::daemon
