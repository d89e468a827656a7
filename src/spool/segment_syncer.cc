#include "spool/segment_syncer.h"

#include <algorithm>

#include "common/logging.h"
#include "common/thread_name.h"

namespace sluice::spool {

SegmentSyncer::SegmentSyncer(const Clock& clock, std::chrono::milliseconds interval,
                             Counters& counters)
    : clock_(clock),
      interval_(interval),
      counters_(counters),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

SegmentSyncer::~SegmentSyncer() {
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
  (void)SyncNow();  // best effort: a failure was logged by the thread already, or is moot
}

void SegmentSyncer::MarkAppended(const std::shared_ptr<SegmentWriter>& segment) {
  MutexLock lock(mu_);
  if (std::find(marked_.begin(), marked_.end(), segment) == marked_.end()) {
    marked_.push_back(segment);
  }
}

void SegmentSyncer::Run(std::stop_token stop) {
  SetCurrentThreadName("sluice-sync");
  bool failing = false;
  while (true) {
    {
      MutexLock lock(mu_);
      clock_.WaitFor(cv_, lock, stop, interval_, [] { return false; });
      if (stop.stop_requested()) return;
    }
    Status synced = SyncNow();
    if (!synced && !failing) LogError("spool: " + synced.error().message());
    if (synced && failing) LogInfo("spool: syncing works again");
    failing = !synced;
  }
}

Status SegmentSyncer::SyncNow() {
  std::vector<std::shared_ptr<SegmentWriter>> targets;
  {
    MutexLock lock(mu_);
    if (marked_.empty()) return Ok();
    targets.swap(marked_);
  }
  Status result = Ok();
  std::vector<std::shared_ptr<SegmentWriter>> failed;
  for (const auto& target : targets) {  // without the lock: MarkAppended() never waits for it
    if (Status synced = target->Sync(); !synced) {
      result = synced;
      failed.push_back(target);
    }
  }
  if (!result) {
    MutexLock lock(mu_);
    for (auto& target : failed) {  // try again next time
      if (std::find(marked_.begin(), marked_.end(), target) == marked_.end()) {
        marked_.push_back(std::move(target));
      }
    }
    return result;
  }
  counters_.spool_syncs.fetch_add(1, std::memory_order_relaxed);
  return Ok();
}

}  // namespace sluice::spool
