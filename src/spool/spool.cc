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

#include "common/logging.h"
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

Result<UniqueFd> TakeLock(const std::string& dir) {
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

}  // namespace

Result<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options, Counters& counters) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir + "/quarantine", ec);
  if (ec) {
    return Fail(ErrorCode::kIoError,
                "cannot create spool directory " + options.dir + ": " + ec.message());
  }
  auto lock = TakeLock(options.dir);
  if (!lock) return tl::unexpected(lock.error());
  std::unique_ptr<Spool> spool(new Spool(options, counters, std::move(*lock)));
  SLUICE_RETURN_IF_ERROR(spool->Recover());
  return spool;
}

Spool::Spool(const SpoolOptions& options, Counters& counters, UniqueFd lock)
    : options_(options), counters_(counters), lock_(std::move(lock)) {}

Spool::~Spool() {
  MutexLock lock(mu_);
  if (writer_) (void)writer_->Sync();  // best effort: the page cache has it anyway
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
    for (const Damage& damage : contents->damage) {
      LogError("spool: " + path + ": bytes " + std::to_string(damage.offset) + ".." +
               std::to_string(damage.offset + damage.length) + " are damaged (" + damage.reason +
               "); the intact batches around them are kept and the file "
               "will be moved to quarantine/");
    }
    if (segment.damaged) counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
    segment.fd.Reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    for (const SpooledBatch& spooled : contents->batches) {
      disk_.push_back({id, spooled.offset, spooled.stored_bytes});
    }
    segment.outstanding = contents->batches.size();
    recovered += contents->batches.size();
    disk_bytes_ += segment.bytes;
    segments_.emplace(id, std::move(segment));
    if (contents->batches.empty()) RetireSegment(id);
  }
  counters_.recovered_batches.fetch_add(recovered, std::memory_order_relaxed);
  if (recovered > 0) {
    LogInfo("spool: recovered " + std::to_string(recovered) + " batches from " + options_.dir);
  }
  return Ok();
}

bool Spool::Add(pipeline::Batch&& batch) {
  {
    MutexLock lock(mu_);
    size_t size = batch.copy_data.size();
    if (disk_.empty() && memory_bytes_ + size <= options_.memory_bytes) {
      memory_bytes_ += size;
      memory_.push_back(std::move(batch));
    } else if (Status spilled = AppendToDisk(batch); !spilled) {
      return false;
    }
  }
  cv_.notify_all();
  return true;
}

Status Spool::StartSegment() {
  if (writer_) {
    SLUICE_RETURN_IF_ERROR(writer_->Sync());
    writer_.reset();
    uint64_t closed = active_segment_;
    active_segment_ = 0;
    if (segments_.at(closed).outstanding == 0) RetireSegment(closed);
  }
  uint64_t id = next_segment_++;
  auto writer = SegmentWriter::Create(SegmentPath(id), options_.zstd_level);
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

Status Spool::AppendToDisk(const pipeline::Batch& batch) {
  if (!writer_ || writer_->bytes() >= options_.segment_bytes)
    SLUICE_RETURN_IF_ERROR(StartSegment());
  uint64_t room = options_.disk_bytes > disk_bytes_ ? options_.disk_bytes - disk_bytes_ : 0;
  uint64_t offset = writer_->bytes();
  auto stored = writer_->Append(batch, room);
  if (!stored) return tl::unexpected(stored.error());
  Segment& segment = segments_.at(active_segment_);
  segment.bytes += *stored;
  segment.outstanding += 1;
  disk_bytes_ += *stored;
  disk_.push_back({active_segment_, offset, *stored});
  counters_.spooled_batches.fetch_add(1, std::memory_order_relaxed);
  return Ok();
}

std::vector<pipeline::Batch> Spool::Take(std::stop_token stop, size_t max_batches,
                                         size_t max_bytes) {
  std::vector<pipeline::Batch> batches;
  std::vector<std::pair<DiskEntry, int>> to_read;
  {
    MutexLock lock(mu_);
    cv_.wait(lock, stop, [this]() REQUIRES(mu_) { return !disk_.empty() || !memory_.empty(); });
    if (stop.stop_requested()) return batches;
    size_t bytes = 0;
    while (!disk_.empty() && to_read.size() < max_batches &&
           (to_read.empty() || bytes + disk_.front().stored_bytes * 4 <= max_bytes)) {
      const DiskEntry& entry = disk_.front();
      bytes += entry.stored_bytes * 4;  // roughly what it inflates to
      to_read.emplace_back(entry, segments_.at(entry.segment).fd.get());
      disk_.pop_front();
    }
    while (to_read.empty() && !memory_.empty() && batches.size() < max_batches &&
           (batches.empty() || bytes + memory_.front().copy_data.size() <= max_bytes)) {
      bytes += memory_.front().copy_data.size();
      in_flight_.emplace(memory_.front().id, InFlight{false, {}, memory_.front().copy_data.size()});
      batches.push_back(std::move(memory_.front()));
      memory_.pop_front();
    }
  }
  // Disk reads happen outside the lock, so Add() never waits for them.
  for (const auto& [entry, fd] : to_read) {
    auto batch = ReadRecordAt(fd, entry.offset, entry.stored_bytes);
    MutexLock lock(mu_);
    if (!batch) {
      LogError("spool: " + segments_.at(entry.segment).path + ": " + batch.error().message() +
               "; the batch is lost");
      segments_.at(entry.segment).damaged = true;
      counters_.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
      ReleaseSegmentEntry(entry.segment);
      continue;
    }
    in_flight_.emplace(batch->id, InFlight{true, entry, 0});
    batches.push_back(std::move(*batch));
  }
  return batches;
}

void Spool::Commit(const std::vector<pipeline::Batch>& batches) {
  {
    MutexLock lock(mu_);
    for (const pipeline::Batch& batch : batches) {
      auto it = in_flight_.find(batch.id);
      if (it == in_flight_.end()) continue;
      if (it->second.on_disk) {
        ReleaseSegmentEntry(it->second.entry.segment);
      } else {
        memory_bytes_ -= it->second.memory_bytes;
      }
      in_flight_.erase(it);
    }
  }
  cv_.notify_all();
}

void Spool::Return(std::vector<pipeline::Batch>&& batches) {
  {
    MutexLock lock(mu_);
    for (auto it = batches.rbegin(); it != batches.rend(); ++it) {
      auto flight = in_flight_.find(it->id);
      if (flight == in_flight_.end()) continue;
      if (flight->second.on_disk) {
        disk_.push_front(flight->second.entry);  // read again when next taken
      } else {
        memory_.push_front(std::move(*it));
      }
      in_flight_.erase(flight);
    }
  }
  cv_.notify_all();
}

void Spool::ReleaseSegmentEntry(uint64_t id) {
  Segment& segment = segments_.at(id);
  if (segment.outstanding > 0) --segment.outstanding;
  if (segment.outstanding == 0 && id != active_segment_) RetireSegment(id);
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
  return cv_.wait_until(lock, deadline, [this]() REQUIRES(mu_) {
    return memory_.empty() && disk_.empty() && in_flight_.empty();
  });
}

uint64_t Spool::SpillMemory() {
  MutexLock lock(mu_);
  uint64_t lost = 0;
  while (!memory_.empty()) {
    pipeline::Batch& batch = memory_.front();
    if (Status spilled = AppendToDisk(batch); !spilled) {
      LogError("spool: cannot keep a batch on disk at shutdown: " + spilled.error().message());
      lost += batch.rows;
    }
    memory_bytes_ -= batch.copy_data.size();
    memory_.pop_front();
  }
  if (writer_) {
    if (Status synced = writer_->Sync(); !synced) LogError("spool: " + synced.error().message());
  }
  return lost;
}

size_t Spool::memory_bytes() const {
  MutexLock lock(mu_);
  return memory_bytes_;
}

uint64_t Spool::disk_bytes() const {
  MutexLock lock(mu_);
  return disk_bytes_;
}

size_t Spool::waiting_batches() const {
  MutexLock lock(mu_);
  return memory_.size() + disk_.size();
}

}  // namespace sluice::spool
