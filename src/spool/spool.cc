#include "spool/spool.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/logging.h"
#include "spool/directory_lock.h"
#include "spool/quarantine.h"
#include "spool/recovery.h"
#include "spool/segment_name.h"
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

std::string Spool::SegmentPath(uint64_t id) const {
  return options_.dir + "/" + SegmentFileName(id);
}

Status Spool::Recover() {
  auto recovery = RecoverSegments(env_.fs, options_.dir, counters_);
  if (!recovery) return tl::unexpected(recovery.error());
  MutexLock lock(mu_);
  next_segment_ = std::max(next_segment_, recovery->highest_id + 1);
  uint64_t recovered = 0;
  for (RecoveredSegment& found : recovery->segments) {
    const SegmentContents& contents = found.contents;
    Segment segment;
    segment.path = found.path;
    segment.bytes = contents.valid_end;
    segment.damaged = !contents.damage.empty();
    segment.version = contents.version;
    segment.instance_id = contents.instance_id;
    auto file = env_.fs.NewRandomAccessFile(found.path);
    if (!file) return tl::unexpected(file.error());
    segment.file = std::move(*file);
    for (const SpooledBatch& spooled : contents.batches) {
      Entry entry;
      entry.id = spooled.batch.id;
      entry.events = spooled.batch.events();
      pending_events_ += entry.events;
      entry.on_disk = true;
      entry.disk = {found.id, spooled.offset, spooled.stored_bytes};
      waiting_.push_back(std::move(entry));
    }
    segment.outstanding = contents.batches.size();
    recovered += contents.batches.size();
    disk_bytes_ += segment.bytes;
    segments_.emplace(found.id, std::move(segment));
    if (contents.batches.empty()) RetireSegment(found.id);
  }
  counters_.recovered_batches.fetch_add(recovered, std::memory_order_relaxed);
  syncer_.MarkDirectory(options_.dir);  // torn tails cut, damaged files moved aside
  syncer_.MarkDirectory(QuarantineDir(options_.dir));
  PublishSizes();
  if (recovered > 0) {
    LogInfo("spool: recovered " + std::to_string(recovered) + " batches from " + options_.dir);
  }
  return Ok();
}

bool Spool::Add(format::Batch&& batch) {
  const size_t size = batch.bytes();
  const bool wal = options_.mode == SpoolMode::kWal;
  const bool summary = batch.rows == 0;
  const size_t memory_cap = summary ? options_.memory_bytes : DetailCap(options_.memory_bytes);
  Entry entry;
  entry.id = batch.id;
  entry.events = batch.events();
  {
    MutexLock lock(mu_);
    if (!summary) last_detail_bytes_ = size;
    if (!wal && memory_bytes_ + size <= memory_cap) {
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
    auto appended = AppendRecord(record, summary);
    if (appended) {
      entry.on_disk = true;
      entry.disk = *appended;
      if (disk_failing_) LogInfo("spool: writing to " + options_.dir + " works again");
      disk_failing_ = false;
    } else if (appended.error().code() != ErrorCode::kNoSpace && !disk_failing_) {
      LogError("spool: " + appended.error().message() +
               (wal ? "; batches are kept in memory only while this lasts" : ""));
      disk_failing_ = true;
    }
    bool memory_room = memory_bytes_ + size <= memory_cap;
    if (!entry.on_disk && !(wal && memory_room)) return false;
    // In wal mode memory caches the batch, so a writer need not read it back.
    if (memory_room) KeepInMemory(entry, std::move(batch));
    Enqueue(std::move(entry));
  }
  return true;
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

Status Spool::StartSegment() {
  if (writer_) {
    writer_.reset();  // the syncer holds it until its last records are synced
    uint64_t closed = active_segment_;
    active_segment_ = 0;
    if (segments_.at(closed).outstanding == 0) RetireSegment(closed);
  }
  uint64_t id = next_segment_++;
  auto writer =
      SegmentWriter::Create(env_.fs, SegmentPath(id), options_.zstd_level, options_.instance_id);
  if (!writer) return tl::unexpected(writer.error());
  Segment segment;
  segment.path = SegmentPath(id);
  segment.instance_id = options_.instance_id;
  auto file = env_.fs.NewRandomAccessFile(segment.path);
  if (!file) return tl::unexpected(file.error());
  segment.file = std::move(*file);
  syncer_.MarkDirectory(options_.dir);  // the new file's name, durable with its first records
  segment.bytes = (*writer)->bytes();
  disk_bytes_ += segment.bytes;
  segments_.emplace(id, std::move(segment));
  writer_ = std::move(*writer);
  active_segment_ = id;
  return Ok();
}

Result<Spool::DiskEntry> Spool::AppendRecord(const Result<std::string_view>& record, bool summary) {
  if (!record) return tl::unexpected(record.error());
  if (!writer_ || writer_->bytes() >= options_.segment_bytes) {
    SLUICE_RETURN_IF_ERROR(StartSegment());
  }
  uint64_t cap = summary ? options_.disk_bytes : DetailCap(options_.disk_bytes);
  uint64_t room = cap > disk_bytes_ ? cap - disk_bytes_ : 0;
  uint64_t offset = writer_->bytes();
  auto stored = writer_->AppendRecord(*record, room);
  if (!stored) return tl::unexpected(stored.error());
  Segment& segment = segments_.at(active_segment_);
  segment.bytes += *stored;
  segment.outstanding += 1;
  disk_bytes_ += *stored;
  syncer_.MarkAppended(writer_);
  counters_.spooled_batches.fetch_add(1, std::memory_order_relaxed);
  counters_.spooled_bytes.fetch_add(*stored, std::memory_order_relaxed);
  return DiskEntry{active_segment_, offset, *stored};
}

std::vector<format::Batch> Spool::Take(std::stop_token stop, size_t max_batches, size_t max_bytes) {
  std::vector<format::Batch> batches;
  struct ToRead {
    DiskEntry disk;
    const RandomAccessFile* file;  // its segment stays open: the entry is in flight
    uint32_t version;
    const std::string* instance_id;  // its segment's, likewise kept
  };
  std::vector<ToRead> to_read;
  {
    MutexLock lock(mu_);
    cv_.wait(lock, stop, [this]() REQUIRES(mu_) { return !waiting_.empty(); });
    if (stop.stop_requested()) return batches;
    size_t bytes = 0;
    while (!waiting_.empty() && batches.size() + to_read.size() < max_batches) {
      Entry& entry = waiting_.front();
      // A record inflates to roughly four times its size on disk.
      size_t size = entry.in_memory ? entry.memory_bytes : entry.disk.stored_bytes * 4;
      if (bytes > 0 && bytes + size > max_bytes) break;
      bytes += size;
      if (entry.in_memory) {
        batches.push_back(std::move(entry.batch));
      } else {
        const Segment& segment = segments_.at(entry.disk.segment);
        to_read.push_back(
            ToRead{entry.disk, segment.file.get(), segment.version, &segment.instance_id});
      }
      in_flight_.emplace(entry.id, std::move(entry));
      waiting_.pop_front();
    }
  }
  // Disk reads happen outside the lock, so Add() never waits for them.
  for (const auto& [disk, file, version, instance_id] : to_read) {
    auto batch = ReadRecordAt(*file, disk.offset, disk.stored_bytes, version);
    MutexLock lock(mu_);
    if (batch) {
      // Committed under the name of the instance that spooled it, whatever ours is now.
      if (*instance_id != options_.instance_id) batch->instance_id = *instance_id;
      if (read_failing_) LogInfo("spool: reading " + options_.dir + " works again");
      read_failing_ = false;
      batches.push_back(std::move(*batch));
      continue;
    }
    auto flight = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const auto& entry) {
      return entry.second.on_disk && entry.second.disk.segment == disk.segment &&
             entry.second.disk.offset == disk.offset;
    });
    const std::string& path = segments_.at(disk.segment).path;
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
    LogError("spool: " + path + ": " + batch.error().message() + "; the batch is lost");
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
      if (entry.in_memory) entry.batch = std::move(*it);  // else it is read again when taken
      waiting_.push_front(std::move(entry));
    }
  }
  cv_.notify_all();
}

void Spool::ReleaseSegmentEntry(uint64_t id) {
  Segment& segment = segments_.at(id);
  if (segment.outstanding > 0) --segment.outstanding;
  if (segment.outstanding > 0) return;
  if (id == active_segment_) {  // caught up: the next batch begins a new segment
    writer_.reset();
    active_segment_ = 0;
  }
  RetireSegment(id);
}

void Spool::RetireSegment(uint64_t id) {
  auto it = segments_.find(id);
  if (it == segments_.end()) return;
  disk_bytes_ -= std::min(disk_bytes_, it->second.bytes);
  if (it->second.damaged) {
    MoveToQuarantine(env_.fs, options_.dir, it->second.path);
    syncer_.MarkDirectory(QuarantineDir(options_.dir));
  } else if (Status removed = env_.fs.Remove(it->second.path); !removed) {
    LogError("spool: " + removed.error().message());
  }
  syncer_.MarkDirectory(options_.dir);
  segments_.erase(it);
}

void Spool::SegmentSyncFailed(const SegmentWriter& failed, const Error& error) {
  MutexLock encoding(encode_mu_);
  MutexLock lock(mu_);
  auto found = std::find_if(segments_.begin(), segments_.end(), [&](const auto& segment) {
    return segment.second.path == failed.path();
  });
  if (found == segments_.end()) return;  // every batch in it is committed already
  const uint64_t id = found->first;
  if (id == active_segment_) {  // nothing more is appended to it
    writer_.reset();
    active_segment_ = 0;
  }
  // What is in memory is written again, to a new segment; the rest may or may not be on disk.
  uint64_t rewritten = 0;
  uint64_t at_risk = 0;
  for (Entry& entry : waiting_) {
    if (!entry.on_disk || entry.disk.segment != id) continue;
    if (entry.in_memory) {
      if (auto appended = AppendRecord(encoder_.Encode(entry.batch), /*summary=*/true)) {
        entry.disk = *appended;
        ++rewritten;
        ReleaseSegmentEntry(id);
        continue;
      }
    }
    at_risk += entry.events;
  }
  for (const auto& [batch_id, entry] : in_flight_) {  // being written to the database now
    if (entry.on_disk && entry.disk.segment == id) at_risk += entry.events;
  }
  counters_.spool_rewritten.fetch_add(rewritten, std::memory_order_relaxed);
  counters_.spool_at_risk_events.fetch_add(at_risk, std::memory_order_relaxed);
  LogError("spool: " + error.message() + "; " + std::to_string(rewritten) +
           " batches rewritten to a new segment, " + std::to_string(at_risk) +
           " events may not be on disk (they stay queued; a power loss before the database has "
           "them would lose them)");
}

bool Spool::WaitEmpty(Clock::TimePoint deadline) {
  MutexLock lock(mu_);
  return env_.clock.WaitUntil(cv_, lock, {}, deadline, [this]() REQUIRES(mu_) {
    return waiting_.empty() && in_flight_.empty();
  });
}

uint64_t Spool::SpillMemory() {
  uint64_t lost = 0;
  {
    MutexLock encoding(encode_mu_);
    MutexLock lock(mu_);
    for (Entry& entry : waiting_) {
      if (!entry.in_memory) continue;
      if (!entry.on_disk) {
        auto appended = AppendRecord(encoder_.Encode(entry.batch), /*summary=*/true);
        if (appended) {
          entry.on_disk = true;
          entry.disk = *appended;
        } else {
          LogError("spool: cannot keep a batch on disk at shutdown: " + appended.error().message());
          lost += entry.events;
          pending_events_ -= entry.events;
        }
      }
      memory_bytes_ -= entry.memory_bytes;
      entry.in_memory = false;
      entry.memory_bytes = 0;
      entry.batch = {};
    }
    std::erase_if(waiting_, [](const Entry& entry) { return !entry.on_disk; });
    PublishSizes();
  }
  if (Status synced = Sync(); !synced) LogError("spool: " + synced.error().message());
  return lost;
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

size_t Spool::waiting_batches() const {
  MutexLock lock(mu_);
  return waiting_.size();
}

}  // namespace sluice::spool
