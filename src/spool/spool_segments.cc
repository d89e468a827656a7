// The spool's segment files: recovering them at start, starting and appending to them,
// retiring them once their batches are committed, rewriting after a failed sync, and
// spilling memory at shutdown. Spool's queue and its callers' side are in spool.cc.
#include <algorithm>

#include "common/logging.h"
#include "spool/quarantine.h"
#include "spool/recovery.h"
#include "spool/segment_name.h"
#include "spool/spool.h"

namespace sluice::spool {

std::string Spool::SegmentPath(uint64_t id) const {
  return options_.dir + "/" + SegmentFileName(id);
}

Status Spool::Recover() {
  auto saved_marks = FollowMarks::Load(env_.fs, options_.dir);
  if (!saved_marks) return tl::unexpected(saved_marks.error());
  auto recovery = RecoverSegments(env_.fs, options_.dir, counters_);
  if (!recovery) return tl::unexpected(recovery.error());
  FollowMarks marks = *saved_marks;
  MutexLock marks_lock(marks_mu_);
  committed_marks_ = std::move(*saved_marks);
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
      marks.Note(spooled.batch.id, spooled.batch.marks);
      Entry entry;
      entry.id = spooled.batch.id;
      entry.events = spooled.batch.events();
      entry.since_us = env_.clock.WallMicros();
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
  follow_positions_ = marks.Positions();
  counters_.recovered_batches.fetch_add(recovered, std::memory_order_relaxed);
  syncer_.MarkDirectory(options_.dir);  // torn tails cut, damaged files moved aside
  syncer_.MarkDirectory(QuarantineDir(options_.dir));
  PublishSizes();
  if (recovered > 0) {
    LogInfo("spool: recovered " + std::to_string(recovered) + " batches from " + options_.dir);
  }
  return Ok();
}

Status Spool::StartSegment() {
  if (writer_) {
    writer_.reset();  // the syncer holds it until its last records are synced
    uint64_t closed = active_segment_;
    active_segment_ = 0;
    if (segments_.at(closed).outstanding == 0) RetireSegment(closed);
  }
  uint64_t id = next_segment_++;
  Segment segment;
  segment.path = SegmentPath(id);
  auto writer =
      SegmentWriter::Create(env_.fs, segment.path, options_.zstd_level, options_.instance_id);
  if (!writer) return tl::unexpected(writer.error());
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
  const uint64_t cap = DiskCap(summary);
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

}  // namespace sluice::spool
