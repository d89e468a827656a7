#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/counters.h"
#include "common/mutex.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "pipeline/batch.h"
#include "spool/segment_writer.h"

namespace sluice::spool {

struct SpoolOptions {
  std::string dir;                    // segment files, LOCK, quarantine/
  size_t memory_bytes = 256 << 20;    // batches kept in memory
  uint64_t disk_bytes = 1ull << 30;   // segment files, all together
  uint64_t segment_bytes = 64 << 20;  // a segment is closed and a new one begun past this
  int zstd_level = 3;
};

// Where batches wait for the database: in memory while there is room and nothing older is on
// disk, otherwise appended to zstd segment files in `dir` (spill mode). Segments are deleted
// once every batch in them is committed. Open() takes the directory's lock and recovers what
// an earlier run left: a torn tail is cut off, a damaged segment's intact batches are queued
// again and the segment is moved to quarantine/ once they are committed.
// Thread-safe: Add() from the pipeline; Take/Commit/Return from writers; the rest from one.
class Spool {
 public:
  static Result<std::unique_ptr<Spool>> Open(const SpoolOptions& options, Counters& counters);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Keeps `batch`. False, keeping nothing, when memory and disk are both full or the disk
  // failed: the caller counts its rows as shed.
  bool Add(pipeline::Batch&& batch) EXCLUDES(mu_);
  // The oldest waiting batches (disk before memory), at most `max_batches` and `max_bytes`
  // (but at least one); waits while there are none; empty once `stop` is requested.
  std::vector<pipeline::Batch> Take(std::stop_token stop, size_t max_batches, size_t max_bytes)
      EXCLUDES(mu_);
  // The batches are in the database: forget them.
  void Commit(const std::vector<pipeline::Batch>& batches) EXCLUDES(mu_);
  // The batches were not written: first in line again.
  void Return(std::vector<pipeline::Batch>&& batches) EXCLUDES(mu_);
  // Waits until nothing waits or is being written, or until `deadline`. True if empty.
  bool WaitEmpty(std::chrono::steady_clock::time_point deadline) EXCLUDES(mu_);
  // For shutdown, after the writers stopped: writes every batch still in memory to disk and
  // syncs. Returns the rows that could not be kept (no room, or the disk failed).
  uint64_t SpillMemory() EXCLUDES(mu_);

  // Sizes now, for counters and tests.
  size_t memory_bytes() const EXCLUDES(mu_);
  uint64_t disk_bytes() const EXCLUDES(mu_);
  size_t waiting_batches() const EXCLUDES(mu_);

 private:
  struct DiskEntry {
    uint64_t segment = 0;
    uint64_t offset = 0;
    uint64_t stored_bytes = 0;
  };
  struct Segment {
    std::string path;
    UniqueFd fd;               // for reading records back
    uint64_t bytes = 0;        // file size
    uint64_t outstanding = 0;  // batches in it not yet committed
    bool damaged = false;      // quarantined, not deleted, once emptied
  };
  struct InFlight {
    bool on_disk = false;
    DiskEntry entry;
    size_t memory_bytes = 0;
  };

  Spool(const SpoolOptions& options, Counters& counters, UniqueFd lock);
  Status Recover() EXCLUDES(mu_);
  Status AppendToDisk(const pipeline::Batch& batch) REQUIRES(mu_);
  Status StartSegment() REQUIRES(mu_);
  void ReleaseSegmentEntry(uint64_t segment) REQUIRES(mu_);
  void RetireSegment(uint64_t id) REQUIRES(mu_);
  // Moves a segment file into quarantine/ (logged; a failed move is logged too).
  void Quarantine(const std::string& path) const;
  std::string SegmentPath(uint64_t id) const;

  const SpoolOptions options_;
  Counters& counters_;
  UniqueFd lock_;
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<pipeline::Batch> memory_ GUARDED_BY(mu_);
  size_t memory_bytes_ GUARDED_BY(mu_) = 0;  // memory_ and memory batches in flight
  std::deque<DiskEntry> disk_ GUARDED_BY(mu_);
  std::map<uint64_t, Segment> segments_ GUARDED_BY(mu_);
  uint64_t disk_bytes_ GUARDED_BY(mu_) = 0;
  std::unique_ptr<SegmentWriter> writer_ GUARDED_BY(mu_);
  uint64_t active_segment_ GUARDED_BY(mu_) = 0;
  uint64_t next_segment_ GUARDED_BY(mu_) = 1;
  std::unordered_multimap<uint64_t, InFlight> in_flight_ GUARDED_BY(mu_);
};

}  // namespace sluice::spool
