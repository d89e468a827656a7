#include "spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

#include "common/logging.h"
#include "common/thread_name.h"
#include "spool/segment_reader.h"

namespace sluice::spool {
namespace {

constexpr std::string_view kSegmentPrefix = "seg-";
constexpr std::string_view kSegmentSuffix = ".sgz";

// The id in "seg-<id>.sgz", or 0 when `name` is not a segment.
uint64_t SegmentId(const std::string& name) {
  if (!name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) return 0;
  std::string digits = name.substr(kSegmentPrefix.size(),
                                   name.size() - kSegmentPrefix.size() - kSegmentSuffix.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

}  // namespace

Result<UniqueFd> LockSpoolDirectory(const std::string& dir) {
  std::string path = dir + "/LOCK";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640));
  if (!fd.valid()) {
    return Fail(ErrorCode::kIoError, "cannot open " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!::pread(fd.get(), pid, sizeof pid - 1, 0);
    return Fail(ErrorCode::kInvalidArgument,
                "spool " + dir + " is in use by another process (pid " + std::string(pid) +
                    "); stop it first or use another spool.dir");
  }
  std::string me = std::to_string(::getpid());
  (void)!::ftruncate(fd.get(), 0);
  (void)!::pwrite(fd.get(), me.data(), me.size(), 0);
  return fd;
}

Result<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options, Counters& counters) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir + "/quarantine", ec);
  if (ec) {
    return Fail(ErrorCode::kIoError,
                "cannot create spool directory " + options.dir + ": " + ec.message());
  }
  auto lock = LockSpoolDirectory(options.dir);
  if (!lock) return tl::unexpected(lock.error());
  std::unique_ptr<Spool> spool(new Spool(options, counters, std::move(*lock)));
  SLUICE_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

Spool::Spool(const SpoolOptions& options, Counters& counters, UniqueFd lock)
    : options_(options),
      counters_(counters),
      lock_(std::move(lock)),
      encoder_(options.zstd_level),
      syncer_([this](std::stop_token stop) { SyncLoop(stop); }) {}

Spool::~Spool() {
  syncer_.request_stop();
  sync_cv_.notify_all();
  syncer_.join();
  (void)Sync();  // best effort: the page cache has it anyway
}

void Spool::SyncLoop(std::stop_token stop) {
  SetCurrentThreadName("sluice-sync");
  bool failing = false;
  while (true) {
    {
      MutexLock lock(mu_);
      sync_cv_.wait_for(lock, stop, options_.sync_interval, [] { return false; });
      if (stop.stop_requested()) return;
    }
    Status synced = Sync();
    if (!synced && !failing) LogError("spool: " + synced.error().message());
    if (synced && failing) LogInfo("spool: syncing works again");
    failing = !synced;
  }
}

Status Spool::Sync() {
  std::vector<std::shared_ptr<SegmentWriter>> targets;
  {
    MutexLock lock(mu_);
    if (!unsynced_) return Ok();
    targets.swap(unsynced_closed_);
    if (writer_) targets.push_back(writer_);
    unsynced_ = false;
  }
  Status result = Ok();
  for (const auto& target : targets) {  // without the lock: Add() never waits for the disk
    if (Status synced = target->Sync(); !synced) result = synced;
  }
  if (!result) {
    MutexLock lock(mu_);
    unsynced_ = true;  // try again next time
    return result;
  }
  counters_.spool_syncs.fetch_add(1, std::memory_order_relaxed);
  return Ok();
}

std::string Spool::SegmentPath(uint64_t id) const {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020" PRIu64 ".sgz", id);
  return options_.dir + "/" + name;
}

Status Spool::Recover() {
  std::vector<uint64_t> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    if (uint64_t id = SegmentId(entry.path().filename().string()); id != 0) ids.push_back(id);
  }
  if (ec)
    return Fail(ErrorCode::kIoError, "cannot list spool " + options_.dir + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  MutexLock lock(mu_);
  uint64_t recovered = 0;
  for (uint64_t id : ids) {
    next_segment_ = std::max(next_segment_, id + 1);
    std::string path = SegmentPath(id);
    auto contents = ReadSegment(path);
    if (!contents && contents.error().code() == ErrorCode::kCorruption) {
      LogError("spool: " + contents.error().message());
      counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
      Quarantine(path);
      continue;
    }
    if (!contents) return tl::unexpected(contents.error());
    if (contents->torn_tail) {
      LogWarn("spool: " + path + " ends inside a record (a crash while appending); cut at byte " +
              std::to_string(contents->valid_end) + " of " + std::to_string(contents->file_bytes));
      if (::truncate(path.c_str(), static_cast<off_t>(contents->valid_end)) != 0) {
        return Fail(ErrorCode::kIoError, "cannot truncate " + path + ": " + std::strerror(errno));
      }
    }
    Segment segment;
    segment.path = path;
    segment.bytes = contents->valid_end;
    segment.damaged = !contents->damage.empty();
    segment.version = contents->version;
    for (const Damage& damage : contents->damage) {
      LogError("spool: " + path + ": bytes " + std::to_string(damage.offset) + ".." +
               std::to_string(damage.offset + damage.length) + " are damaged (" + damage.reason +
               "); the intact batches around them are kept and the file "
               "will be moved to quarantine/");
    }
    if (segment.damaged) counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
    segment.fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    for (const SpooledBatch& spooled : contents->batches) {
      Entry entry;
      entry.id = spooled.batch.id;
      entry.events = spooled.batch.events();
      pending_events_ += entry.events;
      entry.on_disk = true;
      entry.disk = {id, spooled.offset, spooled.stored_bytes};
      waiting_.push_back(std::move(entry));
    }
    segment.outstanding = contents->batches.size();
    recovered += contents->batches.size();
    disk_bytes_ += segment.bytes;
    segments_.emplace(id, std::move(segment));
    if (contents->batches.empty()) RetireSegment(id);
  }
  counters_.recovered_batches.fetch_add(recovered, std::memory_order_relaxed);
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
    unsynced_closed_.push_back(std::move(writer_));  // the syncer syncs and closes it
    uint64_t closed = active_segment_;
    active_segment_ = 0;
    if (segments_.at(closed).outstanding == 0) RetireSegment(closed);
  }
  uint64_t id = next_segment_++;
  auto writer = SegmentWriter::Create(SegmentPath(id), options_.zstd_level, options_.instance_id);
  if (!writer) return tl::unexpected(writer.error());
  Segment segment;
  segment.path = SegmentPath(id);
  segment.fd.Reset(::open(segment.path.c_str(), O_RDONLY | O_CLOEXEC));
  segment.bytes = (*writer)->bytes();
  disk_bytes_ += segment.bytes;
  segments_.emplace(id, std::move(segment));
  writer_ = std::move(*writer);
  active_segment_ = id;
  return Ok();
}

Result<Spool::DiskEntry> Spool::AppendRecord(const Result<std::string_view>& record,
                                             bool summary) {
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
  unsynced_ = true;
  counters_.spooled_batches.fetch_add(1, std::memory_order_relaxed);
  counters_.spooled_bytes.fetch_add(*stored, std::memory_order_relaxed);
  return DiskEntry{active_segment_, offset, *stored};
}

std::vector<format::Batch> Spool::Take(std::stop_token stop, size_t max_batches,
                                         size_t max_bytes) {
  std::vector<format::Batch> batches;
  struct ToRead {
    DiskEntry disk;
    int fd;
    uint32_t version;
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
        to_read.push_back(ToRead{entry.disk, segment.fd.get(), segment.version});
      }
      in_flight_.emplace(entry.id, std::move(entry));
      waiting_.pop_front();
    }
  }
  // Disk reads happen outside the lock, so Add() never waits for them.
  for (const auto& [disk, fd, version] : to_read) {
    auto batch = ReadRecordAt(fd, disk.offset, disk.stored_bytes, version);
    MutexLock lock(mu_);
    if (!batch) {
      LogError("spool: " + segments_.at(disk.segment).path + ": " + batch.error().message() +
               "; the batch is lost");
      for (auto it = in_flight_.begin(); it != in_flight_.end(); ++it) {
        if (it->second.on_disk && it->second.disk.segment == disk.segment &&
            it->second.disk.offset == disk.offset) {
          pending_events_ -= it->second.events;
          counters_.Shed(counters_.shed_spool_damaged, it->second.events);
          in_flight_.erase(it);
          break;
        }
      }
      if (!segments_.at(disk.segment).damaged) {
        segments_.at(disk.segment).damaged = true;
        counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
      }
      ReleaseSegmentEntry(disk.segment);
      PublishSizes();
      continue;
    }
    batches.push_back(std::move(*batch));
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
    Quarantine(it->second.path);
  } else {
    ::unlink(it->second.path.c_str());
  }
  segments_.erase(it);
}

void Spool::Quarantine(const std::string& path) const {
  std::string moved =
      options_.dir + "/quarantine/" + std::filesystem::path(path).filename().string();
  std::error_code ec;
  std::filesystem::rename(path, moved, ec);
  if (ec) {
    LogError("spool: cannot move " + path + " to " + moved + ": " + ec.message());
  } else {
    LogWarn("spool: " + path + " moved to " + moved);
  }
}

bool Spool::WaitEmpty(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mu_);
  return cv_.wait_until(lock, deadline,
                        [this]() REQUIRES(mu_) { return waiting_.empty() && in_flight_.empty(); });
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
