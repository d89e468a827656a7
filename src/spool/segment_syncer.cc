#include "spool/segment_syncer.h"

#include <algorithm>

#include "common/logging.h"
#include "common/thread_name.h"

namespace sluice::spool {

SegmentSyncer::SegmentSyncer(FileSystem& fs, const Clock& clock, std::chrono::milliseconds interval,
                             Counters& counters, SyncFailed on_sync_failed)
    : fs_(fs),
      clock_(clock),
      interval_(interval),
      counters_(counters),
      on_sync_failed_(std::move(on_sync_failed)),
      thread_([this](std::stop_token stop) { Run(stop); }) {}

SegmentSyncer::~SegmentSyncer() {
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
  (void)SyncNow();  // best effort: failures were handed on and logged
}

void SegmentSyncer::MarkAppended(const std::shared_ptr<SegmentWriter>& segment) {
  MutexLock lock(mu_);
  if (std::find(marked_.begin(), marked_.end(), segment) == marked_.end()) {
    marked_.push_back(segment);
  }
}

void SegmentSyncer::MarkDirectory(const std::string& dir) {
  MutexLock lock(mu_);
  if (std::find(marked_dirs_.begin(), marked_dirs_.end(), dir) == marked_dirs_.end()) {
    marked_dirs_.push_back(dir);
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
  std::vector<std::string> dirs;
  {
    MutexLock lock(mu_);
    if (marked_.empty() && marked_dirs_.empty()) return Ok();
    targets.swap(marked_);
    dirs.swap(marked_dirs_);
  }
  Status result = Ok();
  // Without the lock: MarkAppended() never waits for the disk.
  for (const std::string& dir : dirs) {
    if (Status synced = fs_.SyncDir(dir); !synced) {
      result = synced;
      MarkDirectory(dir);  // a directory has no pages to lose: try again next round
    }
  }
  for (const auto& target : targets) {
    if (Status synced = target->Sync(); !synced) {
      result = synced;
      counters_.spool_sync_failures.fetch_add(1, std::memory_order_relaxed);
      on_sync_failed_(*target, synced.error());
    }
  }
  if (result) counters_.spool_syncs.fetch_add(1, std::memory_order_relaxed);
  return result;
}

}  // namespace sluice::spool
