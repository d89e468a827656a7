#include "spool/spool.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/logging.h"
#include "spool/directory_lock.h"
#include "spool/quarantine.h"
#include "spool/segment_reader.h"

namespace sluice::spool {

Result<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options, Env& env,
                                           Counters& counters) {
  SLUICE_RETURN_IF_ERROR(env.fs.CreateDirs(QuarantineDir(options.dir)));
  auto lock = LockSpoolDirectory(env.fs, options.dir);
  if (!lock) return tl::unexpected(lock.error());
  std::unique_ptr<Spool> spool(new Spool(options, env, counters, std::move(*lock)));
  SLUICE_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

Spool::Spool(const SpoolOptions& options, Env& env, Counters& counters,
             std::unique_ptr<FileLock> lock)
    : options_(options),
      env_(env),
      counters_(counters),
      lock_(std::move(lock)),
      encoder_(options.zstd_level),
      syncer_(env.fs, env.clock, options.sync_interval, counters,
              [this](const SegmentWriter& segment, const Error& error) {
                SegmentSyncFailed(segment, error);
              }) {}

Spool::~Spool() = default;

Status Spool::Sync() { return syncer_.SyncNow(); }

bool Spool::Add(format::Batch&& batch) {
  const size_t size = batch.bytes();
  const bool wal = options_.mode == SpoolMode::kWal;
  const bool summary = batch.rows == 0;
  const bool marked = !batch.marks.empty() || batch.from_ring;  // on disk or refused
  const size_t memory_cap = summary ? options_.memory_bytes : DetailCap(options_.memory_bytes);
  Entry entry;
  entry.id = batch.id;
  entry.events = batch.events();
  entry.since_us = batch.oldest_event_us > 0 ? batch.oldest_event_us : env_.clock.WallMicros();
  {
    MutexLock lock(mu_);
    if (!summary) last_detail_bytes_ = size;
    if (!wal && !marked && memory_bytes_ + size <= memory_cap) {
      KeepInMemory(entry, std::move(batch));
      Enqueue(std::move(entry));
      return true;
    }
  }
  {
    // Compressing happens outside mu_: writers taking and committing batches never wait for it.
    MutexLock encoding(encode_mu_);
    auto record = encoder_.Encode(batch);
    MutexLock lock(mu_);
    if (!summary && record) last_detail_record_bytes_ = record->size();
    const bool over_cap = record && disk_bytes_ + record->size() > DiskCap(summary);
    auto appended = AppendRecord(record, summary);
    if (appended) {
      entry.on_disk = true;
      entry.disk = *appended;
      if (batch.from_ring && append_observer_) append_observer_(batch.id);
      // A small summary batch may still fit on a disk that is full for details: only a detail
      // batch ends the episode, so that a flapping disk is not logged batch after batch.
      if (disk_failing_ && !summary) {
        LogInfo("spool: writing to " + options_.dir + " works again");
        disk_failing_ = false;
      }
    } else if (!over_cap && !disk_failing_) {  // the disk failed (full, EIO), not our cap
      LogError("spool: " + appended.error().message() +
               (wal ? "; batches are kept in memory only while this lasts" : ""));
      disk_failing_ = true;
    }
    bool memory_room = memory_bytes_ + size <= memory_cap;
    if (!entry.on_disk && (marked || !(wal && memory_room))) return false;
    // In wal mode memory caches the batch, so a writer need not read it back.
    if (memory_room) KeepInMemory(entry, std::move(batch));
    Enqueue(std::move(entry));
  }
  return true;
}

bool Spool::Holds(uint64_t batch_id) const {
  MutexLock lock(mu_);
  return std::any_of(waiting_.begin(), waiting_.end(),
                     [&](const Entry& entry) { return entry.id == batch_id; });
}

void Spool::SaveMarks(const std::vector<format::Batch>& batches) {
  MutexLock lock(marks_mu_);
  bool changed = false;
  for (const format::Batch& batch : batches) {
    if (!batch.marks.empty() && committed_marks_.Note(batch.id, batch.marks)) changed = true;
  }
  if (!changed) return;
  Status saved = committed_marks_.Save(env_.fs, options_.dir);
  if (!saved) {
    counters_.follow_mark_errors.fetch_add(1, std::memory_order_relaxed);
    if (!marks_failing_) {
      LogError("spool: " + saved.error().message() +
               "; where the followed files were read to is not saved, and a restart now may "
               "read some of their lines again");
    }
    marks_failing_ = true;
    return;
  }
  if (marks_failing_) LogInfo("spool: saving the followed files' positions works again");
  marks_failing_ = false;
}

void Spool::KeepInMemory(Entry& entry, format::Batch&& batch) {
  memory_bytes_ += batch.bytes();
  entry.in_memory = true;
  entry.memory_bytes = batch.bytes();
  entry.batch = std::move(batch);
}

void Spool::Enqueue(Entry&& entry) {
  pending_events_ += entry.events;
  waiting_.push_back(std::move(entry));
  PublishSizes();
  cv_.notify_all();
}

std::vector<format::Batch> Spool::Take(std::stop_token stop, size_t max_batches, size_t max_bytes,
                                       Heartbeat* heartbeat, std::chrono::milliseconds max_wait) {
  std::vector<format::Batch> batches;
  struct ToRead {
    DiskEntry disk;
    const RandomAccessFile* file;  // its segment stays open: the entry is in flight
    uint32_t version;
    const std::string* instance_id;  // its segment's, likewise kept
    bool commit_in_doubt;
  };
  std::vector<ToRead> to_read;
  {
    MutexLock lock(mu_);
    if (heartbeat != nullptr) heartbeat->Waiting();
    auto some = [this]() REQUIRES(mu_) { return !waiting_.empty(); };
    if (max_wait.count() > 0) {
      cv_.wait_for(lock, stop, max_wait, some);
    } else {
      cv_.wait(lock, stop, some);
    }
    if (heartbeat != nullptr) heartbeat->Beat();
    if (stop.stop_requested() || waiting_.empty()) return batches;
    size_t bytes = 0;
    while (!waiting_.empty() && batches.size() + to_read.size() < max_batches) {
      Entry& entry = waiting_.front();
      // A record inflates to roughly four times its size on disk.
      size_t size = entry.in_memory ? entry.memory_bytes : entry.disk.stored_bytes * 4;
      if (bytes > 0 && bytes + size > max_bytes) break;
      bytes += size;
      if (entry.in_memory) {
        batches.push_back(std::move(entry.batch));
        batches.back().commit_in_doubt = entry.commit_in_doubt;
      } else {
        const Segment& segment = segments_.at(entry.disk.segment);
        to_read.push_back(ToRead{entry.disk, segment.file.get(), segment.version,
                                 &segment.instance_id, entry.commit_in_doubt});
      }
      in_flight_.emplace(entry.id, std::move(entry));
      waiting_.pop_front();
    }
  }
  // Disk reads happen outside the lock, so Add() never waits for them.
  for (const ToRead& read : to_read) {
    const DiskEntry& disk = read.disk;
    auto batch = ReadRecordAt(*read.file, disk.offset, disk.stored_bytes, read.version);
    MutexLock lock(mu_);
    if (batch) {
      // Committed under the name of the instance that spooled it, whatever ours is now.
      if (*read.instance_id != options_.instance_id) batch->instance_id = *read.instance_id;
      batch->commit_in_doubt = read.commit_in_doubt;
      if (read_failing_) LogInfo("spool: reading " + options_.dir + " works again");
      read_failing_ = false;
      batches.push_back(std::move(*batch));
      continue;
    }
    auto flight = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& entry) {
      return entry.second.on_disk && entry.second.disk.segment == disk.segment &&
             entry.second.disk.offset == disk.offset;
    });
    if (batch.error().code() != ErrorCode::kCorruption) {
      // The disk failed to read it (EIO, say), which says nothing about the bytes: it waits,
      // behind the others, to be read again.
      counters_.spool_read_errors.fetch_add(1, std::memory_order_relaxed);
      if (!read_failing_) {
        LogError("spool: " + batch.error().message() + "; the batch is kept and read again later");
      }
      read_failing_ = true;
      if (flight != in_flight_.end()) {
        waiting_.push_back(std::move(flight->second));
        in_flight_.erase(flight);
      }
      continue;
    }
    LogError("spool: " + segments_.at(disk.segment).path + ": " + batch.error().message() +
             "; the batch is lost");
    if (flight != in_flight_.end()) {
      pending_events_ -= flight->second.events;
      counters_.Shed(counters_.shed_spool_damaged, flight->second.events);
      in_flight_.erase(flight);
    }
    if (!segments_.at(disk.segment).damaged) {
      segments_.at(disk.segment).damaged = true;
      counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
    }
    ReleaseSegmentEntry(disk.segment);
    PublishSizes();
  }
  return batches;
}

void Spool::Commit(const std::vector<format::Batch>& batches) {
  SaveMarks(batches);  // before any segment of theirs can be deleted
  {
    MutexLock lock(mu_);
    for (const format::Batch& batch : batches) {
      auto it = in_flight_.find(batch.id);
      if (it == in_flight_.end()) continue;
      if (it->second.on_disk) ReleaseSegmentEntry(it->second.disk.segment);
      if (it->second.in_memory) memory_bytes_ -= it->second.memory_bytes;
      pending_events_ -= it->second.events;
      in_flight_.erase(it);
    }
    PublishSizes();
  }
  cv_.notify_all();
}

void Spool::Return(std::vector<format::Batch>&& batches) {
  {
    MutexLock lock(mu_);
    for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
      auto flight = in_flight_.find(it->id);
      if (flight == in_flight_.end()) continue;
      Entry entry = std::move(flight->second);
      in_flight_.erase(flight);
      entry.commit_in_doubt = entry.commit_in_doubt || it->commit_in_doubt;
      if (entry.in_memory) entry.batch = std::move(*it);  // else it is read again when taken
      waiting_.push_front(std::move(entry));
    }
  }
  cv_.notify_all();
}

bool Spool::WaitEmpty(Clock::TimePoint deadline) {
  MutexLock lock(mu_);
  return env_.clock.WaitUntil(cv_, lock, {}, deadline, [this]() REQUIRES(mu_) {
    return waiting_.empty() && in_flight_.empty();
  });
}

void Spool::PublishSizes() {
  counters_.spool_memory_bytes.store(memory_bytes_, std::memory_order_relaxed);
  counters_.spool_disk_bytes.store(disk_bytes_, std::memory_order_relaxed);
  counters_.spool_events.store(pending_events_, std::memory_order_relaxed);
}

size_t Spool::memory_bytes() const {
  MutexLock lock(mu_);
  return memory_bytes_;
}

uint64_t Spool::disk_bytes() const {
  MutexLock lock(mu_);
  return disk_bytes_;
}

bool Spool::HasRoomForDetail() const {
  MutexLock lock(mu_);
  return disk_bytes_ + last_detail_record_bytes_ <= DetailCap(options_.disk_bytes) ||
         memory_bytes_ + last_detail_bytes_ <= DetailCap(options_.memory_bytes);
}

uint64_t Spool::pending_events() const {
  MutexLock lock(mu_);
  return pending_events_;
}

int64_t Spool::OldestEventMicros() const {
  MutexLock lock(mu_);
  int64_t oldest = waiting_.empty() ? 0 : waiting_.front().since_us;
  for (const auto& [id, entry] : in_flight_) {
    if (oldest == 0 || entry.since_us < oldest) oldest = entry.since_us;
  }
  return oldest;
}

size_t Spool::waiting_batches() const {
  MutexLock lock(mu_);
  return waiting_.size();
}

}  // namespace sluice::spool
