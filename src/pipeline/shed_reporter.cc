#include "pipeline/shed_reporter.h"

namespace sluice::pipeline {

ShedReporter::ShedReporter(Counters& counters)
    : causes_{{"queue_full", &counters.shed_queue_full, 0},
              {"spool_full", &counters.shed_spool_full, 0},
              {"aggregate_full", &counters.shed_aggregate_full, 0},
              {"spool_damaged", &counters.shed_spool_damaged, 0},
              {"rejected", &counters.shed_rejected, 0},
              {"shutdown", &counters.shed_shutdown, 0}} {}

std::vector<ShedReporter::Count> ShedReporter::Take() {
  std::vector<Count> counts;
  for (Cause& cause : causes_) {
    uint64_t now = cause.counter->load(std::memory_order_relaxed);
    if (now == cause.reported) continue;
    counts.push_back(Count{cause.name, now - cause.reported});
    cause.reported = now;
  }
  return counts;
}

void ShedReporter::GiveBack(const std::vector<Count>& counts) {
  for (const Count& count : counts) {
    for (Cause& cause : causes_) {
      if (cause.name == count.cause) cause.reported -= count.events;
    }
  }
}

}  // namespace sluice::pipeline
