#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"
#include "common/file_system.h"
#include "common/mutex.h"
#include "common/status.h"
#include "spool/segment_writer.h"

namespace sluice::spool {

// Makes the spool durable off the callers' path. The spool marks a segment written to with
// MarkAppended() and a directory whose entries changed (a segment created, renamed or
// removed) with MarkDirectory(); a thread of the syncer's own ("sluice-sync") fsyncs every
// marked directory and fdatasyncs every marked segment once per `interval`, so that no
// receiver, pipeline or writer waits for the disk. Each fully successful round is counted
// (spool_syncs).
// A failed fdatasync is never retried on the same file: after one, Linux may have dropped the
// pages it could not write and report the next fdatasync as a success (the "fsyncgate"
// lesson). The segment is handed to `on_sync_failed` instead, which must make its records
// durable another way (the spool rewrites them to a new segment) or report them at risk.
// A failed directory sync stays marked and is tried again next round.
// Thread-safe. `fs`, `clock` and `counters` must outlive this; `on_sync_failed` is called
// without the syncer's lock held, from the syncing thread or from SyncNow()'s caller.
class SegmentSyncer {
 public:
  using SyncFailed = std::function<void(const SegmentWriter& segment, const Error& error)>;

  SegmentSyncer(FileSystem& fs, const Clock& clock, std::chrono::milliseconds interval,
                Counters& counters, SyncFailed on_sync_failed);
  // Stops the thread, then syncs once more (best effort: the page cache has the data anyway).
  ~SegmentSyncer();
  SegmentSyncer(const SegmentSyncer&) = delete;
  SegmentSyncer& operator=(const SegmentSyncer&) = delete;

  // Records were appended to `segment` since the last sync. The syncer keeps it (and so its
  // file open) until it has been synced.
  void MarkAppended(const std::shared_ptr<SegmentWriter>& segment) EXCLUDES(mu_);
  // An entry of `dir` was created, renamed or removed since the last sync.
  void MarkDirectory(const std::string& dir) EXCLUDES(mu_);
  // Syncs every marked directory and segment now. Ok when all of them synced (or nothing was
  // marked); else the last error.
  Status SyncNow() EXCLUDES(mu_);

 private:
  void Run(std::stop_token stop);

  FileSystem& fs_;
  const Clock& clock_;
  const std::chrono::milliseconds interval_;
  Counters& counters_;
  const SyncFailed on_sync_failed_;
  Mutex mu_;
  std::condition_variable_any cv_;
  std::vector<std::shared_ptr<SegmentWriter>> marked_ GUARDED_BY(mu_);
  std::vector<std::string> marked_dirs_ GUARDED_BY(mu_);
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace sluice::spool
