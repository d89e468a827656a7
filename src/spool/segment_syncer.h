#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"
#include "common/mutex.h"
#include "common/status.h"
#include "spool/segment_writer.h"

namespace sluice::spool {

// Makes appended records durable off the callers' path: the spool marks a segment written to
// with MarkAppended() and a thread of the syncer's own ("sluice-sync") fdatasyncs every marked
// segment once per `interval`, so that no receiver, pipeline or writer waits for the disk. A
// failed sync is logged once until syncs work again, and the segments stay marked, to be
// synced again at the next interval. Each successful round is counted (spool_syncs).
// Thread-safe. `clock` and `counters` must outlive this.
class SegmentSyncer {
 public:
  SegmentSyncer(const Clock& clock, std::chrono::milliseconds interval, Counters& counters);
  // Stops the thread, then syncs once more (best effort: the page cache has the data anyway).
  ~SegmentSyncer();
  SegmentSyncer(const SegmentSyncer&) = delete;
  SegmentSyncer& operator=(const SegmentSyncer&) = delete;

  // Records were appended to `segment` since the last sync. The syncer keeps it (and so its
  // file open) until it has been synced.
  void MarkAppended(const std::shared_ptr<SegmentWriter>& segment) EXCLUDES(mu_);
  // Syncs every marked segment now. Ok when nothing was marked.
  Status SyncNow() EXCLUDES(mu_);

 private:
  void Run(std::stop_token stop);

  const Clock& clock_;
  const std::chrono::milliseconds interval_;
  Counters& counters_;
  Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::shared_ptr<SegmentWriter>> marked_ GUARDED_BY(mu_);
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace sluice::spool
