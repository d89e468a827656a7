#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/counters.h"
#include "common/env.h"
#include "common/heartbeat.h"
#include "common/mutex.h"
#include "common/status.h"
#include "format/batch.h"
#include "spool/follow_marks.h"
#include "spool/record_encoder.h"
#include "spool/segment_format.h"
#include "spool/segment_syncer.h"
#include "spool/segment_writer.h"

namespace sluice::spool {

// When a batch is written to a segment file.
enum class SpoolMode {
  kWal,    // every batch, before a writer can take it; memory only caches it
  kSpill,  // only batches that find no room in memory
};

struct SpoolOptions {
  std::string dir;          // segment files, LOCK, quarantine/
  std::string instance_id;  // written in each segment header
  SpoolMode mode = SpoolMode::kWal;
  size_t memory_bytes = 256 << 20;    // batches kept in memory
  uint64_t disk_bytes = 1ull << 30;   // segment files, all together
  uint64_t segment_bytes = 64 << 20;  // a segment is closed and a new one begun past this
  int zstd_level = 3;
  std::chrono::milliseconds sync_interval{100};  // fdatasync of appended records, grouped
};

// Where batches wait for the database, oldest first: in memory, in zstd segment files in
// `dir`, or both (see SpoolMode). Appended records are made durable by one fdatasync every
// `sync_interval` (SegmentSyncer), so no caller waits for the disk to sync. Segments are deleted
// once every batch in them is committed. Open() takes the directory's lock and recovers what an
// earlier run left: a torn tail is cut off, a damaged segment's intact batches are queued again and
// the file is moved to quarantine/ once they are committed. Every file operation and wait goes
// through `env`, which must outlive the spool. Members are defined in spool.cc (the queue)
// and spool_segments.cc (the segment files).
// Thread-safe: Add() from the pipeline; Take/Commit/Return from writers; the rest from one.
class Spool {
 public:
  static Result<std::unique_ptr<Spool>> Open(const SpoolOptions& options, Env& env,
                                             Counters& counters);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Keeps `batch`. False, keeping nothing, when it fits neither in memory nor on disk: the
  // caller counts its events as shed; a refused batch is left as it was. A batch with marks
  // (followed files) is kept only on disk, whatever the mode: false when the disk refuses it (its
  // lines are read again). In wal mode a batch the disk refuses is kept in memory if there is room
  // (logged): the database may still take it. A batch with detail rows may fill each cap only up to
  // DetailCap(): the rest is kept for summary batches (aggregates and shed counts), so that when
  // details no longer fit, the counts still do.
  bool Add(format::Batch&& batch) EXCLUDES(mu_, encode_mu_);
  // `observer(batch_id)` is called, under the spool's lock, for each batch marked `from_ring`
  // once it is appended to a segment and before a writer can take it: from then on a crash
  // of this process cannot lose it. Set before the first Add; not thread-safe with Add.
  void SetAppendObserver(std::function<void(uint64_t)> observer) {
    append_observer_ = std::move(observer);
  }
  // Whether a batch with this id waits in the spool (for recovery at start).
  bool Holds(uint64_t batch_id) const EXCLUDES(mu_);
  // Whether a batch with detail rows as large as the last one would find room now (in memory
  // or on disk).
  bool HasRoomForDetail() const EXCLUDES(mu_);
  // The oldest waiting batches, at most `max_batches` and `max_bytes` (but at least one);
  // waits while there are none; empty once `stop` is requested. May also return fewer, or
  // none, when batches did not read back from disk: a damaged one is dropped, counted as
  // shed (spool_damaged) and its segment quarantined; one the disk failed to read (EIO) waits
  // behind the others to be read again (spool_read_errors), logged once until reads work.
  // `heartbeat` (if any) is marked waiting while Take waits for batches, and beats once
  // there are some: a disk read that hangs after that shows as a stuck writer.
  // `max_wait` (0: no limit) bounds the wait for batches: empty when it passes with none.
  std::vector<format::Batch> Take(std::stop_token stop, size_t max_batches, size_t max_bytes,
                                  Heartbeat* heartbeat = nullptr,
                                  std::chrono::milliseconds max_wait = {}) EXCLUDES(mu_);
  // The batches are in the database: forget them. Their marks are saved to follow.marks
  // first (a failure is logged once per episode and counted: follow_mark_errors).
  void Commit(const std::vector<format::Batch>& batches) EXCLUDES(mu_);
  // The batches were not written: first in line again.
  void Return(std::vector<format::Batch>&& batches) EXCLUDES(mu_);
  // Waits until nothing waits or is being written, or until `deadline`. True if empty.
  bool WaitEmpty(Clock::TimePoint deadline) EXCLUDES(mu_);
  // For shutdown, after the writers stopped: writes every batch that is only in memory to
  // disk and syncs. Returns the rows that could not be kept (no room, or the disk failed).
  uint64_t SpillMemory() EXCLUDES(mu_, encode_mu_);
  // Syncs what was appended so far now, instead of at the next interval.
  Status Sync() EXCLUDES(mu_);

  // Where each followed file resumes: the newest marks of the batches committed before
  // (follow.marks) and of those found in the segments at Open(). Fixed at Open; thread-safe.
  const std::map<std::string, FilePosition>& FollowPositions() const { return follow_positions_; }

  // Sizes now, for counters and tests.
  size_t memory_bytes() const EXCLUDES(mu_);
  uint64_t disk_bytes() const EXCLUDES(mu_);
  size_t waiting_batches() const EXCLUDES(mu_);
  // Events of the batches waiting or being written.
  uint64_t pending_events() const EXCLUDES(mu_);
  // When the oldest event of those batches was received (wall µs; for batches recovered at
  // start, when they were found); 0 when there are none.
  int64_t OldestEventMicros() const EXCLUDES(mu_);

  // The part of a cap batches with detail rows may use: all but a sixteenth.
  static constexpr uint64_t DetailCap(uint64_t cap) { return cap - cap / 16; }

 private:
  struct DiskEntry {
    uint64_t segment = 0;
    uint64_t offset = 0;
    uint64_t stored_bytes = 0;
  };
  // A batch in the spool: in memory, on disk, or both.
  struct Entry {
    uint64_t id = 0;
    uint64_t events = 0;
    format::Batch batch;  // its streams are empty unless in_memory (or taken by a writer)
    bool in_memory = false;
    size_t memory_bytes = 0;
    bool on_disk = false;
    DiskEntry disk;
    bool commit_in_doubt = false;  // see format::Batch; kept while the batch waits again
    // When its oldest event was received (wall µs), or when it reached the spool if unknown.
    int64_t since_us = 0;
  };
  struct Segment {
    std::string path;
    std::unique_ptr<RandomAccessFile> file;  // for reading records back
    uint64_t bytes = 0;                      // file size
    uint64_t outstanding = 0;                // batches in it not yet committed
    bool damaged = false;                    // quarantined, not deleted, once emptied
    std::string instance_id;  // from its header: its batches are committed under this name
    uint32_t version = kSegmentVersion;  // its format (older ones, from recovery)
  };

  Spool(const SpoolOptions& options, Env& env, Counters& counters, std::unique_ptr<FileLock> lock);
  Status Recover() EXCLUDES(mu_, marks_mu_);
  // Appends an encoded record (or passes on the encoder's error) to the active segment,
  // starting one when needed.
  // `summary`: the record may use the whole disk cap (see Add()).
  Result<DiskEntry> AppendRecord(const Result<std::string_view>& record, bool summary)
      REQUIRES(mu_);
  Status StartSegment() REQUIRES(mu_);
  void KeepInMemory(Entry& entry, format::Batch&& batch) REQUIRES(mu_);
  // Queues `entry` behind the others and wakes a writer.
  void Enqueue(Entry&& entry) REQUIRES(mu_);
  void ReleaseSegmentEntry(uint64_t segment) REQUIRES(mu_);
  void RetireSegment(uint64_t id) REQUIRES(mu_);
  // The syncer's report that `segment`'s fdatasync failed: no more appends to it; its waiting
  // batches held in memory are appended again to a new segment, the others are counted and
  // logged as at risk.
  void SegmentSyncFailed(const SegmentWriter& segment, const Error& error)
      EXCLUDES(mu_, encode_mu_);
  std::string SegmentPath(uint64_t id) const;
  // Saves the marks of `batches` to follow.marks, if they move any.
  void SaveMarks(const std::vector<format::Batch>& batches) EXCLUDES(marks_mu_);
  void PublishSizes() REQUIRES(mu_);
  // The disk a batch may fill up to: all of it for a summary batch, DetailCap() else.
  uint64_t DiskCap(bool summary) const {
    return summary ? options_.disk_bytes : DetailCap(options_.disk_bytes);
  }

  const SpoolOptions options_;
  Env& env_;
  Counters& counters_;
  std::unique_ptr<FileLock> lock_;
  Mutex encode_mu_;  // taken before mu_, never after
  RecordEncoder encoder_ GUARDED_BY(encode_mu_);
  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Entry> waiting_ GUARDED_BY(mu_);
  std::function<void(uint64_t)> append_observer_;
  std::unordered_multimap<uint64_t, Entry> in_flight_ GUARDED_BY(mu_);  // taken by writers
  size_t memory_bytes_ GUARDED_BY(mu_) = 0;  // of waiting and in-flight batches in memory
  std::map<uint64_t, Segment> segments_ GUARDED_BY(mu_);
  uint64_t disk_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t pending_events_ GUARDED_BY(mu_) = 0;
  size_t last_detail_bytes_ GUARDED_BY(mu_) = 0;         // the last batch with detail rows
  size_t last_detail_record_bytes_ GUARDED_BY(mu_) = 0;  // and its record, compressed
  std::shared_ptr<SegmentWriter> writer_ GUARDED_BY(mu_);
  bool disk_failing_ GUARDED_BY(mu_) = false;
  bool read_failing_ GUARDED_BY(mu_) = false;
  uint64_t active_segment_ GUARDED_BY(mu_) = 0;
  uint64_t next_segment_ GUARDED_BY(mu_) = 1;
  std::map<std::string, FilePosition> follow_positions_;  // set by Recover()
  Mutex marks_mu_;                                        // taken before mu_, never after
  FollowMarks committed_marks_ GUARDED_BY(marks_mu_);
  bool marks_failing_ GUARDED_BY(marks_mu_) = false;
  SegmentSyncer syncer_;  // last: stopped, and a last sync done, first
};

}  // namespace sluice::spool
