#include "cli/replay_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>

#include "cli/batch_upload.h"
#include "cli/progress.h"
#include "cli/segment_files.h"
#include "common/counters.h"
#include "common/env.h"
#include "config/instance_id.h"
#include "sink/batch_writer.h"
#include "sink/writer_pool.h"
#include "spool/directory_lock.h"
#include "spool/segment_reader.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct SegmentFile {
  fs::path path;
  uint64_t rows = 0;
};

// Takes the lock of `dir` when it is a spool (has a LOCK file).
Result<std::unique_ptr<FileLock>> LockIfSpool(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "LOCK", ec)) return std::unique_ptr<FileLock>();
  return spool::LockSpoolDirectory(DefaultEnv().fs, dir.string());
}

}  // namespace

int RunReplay(const config::Settings& settings, const std::vector<std::string>& segments) {
  const bool whole_spool = segments.empty();
  std::vector<std::unique_ptr<FileLock>> locks;
  std::vector<SegmentFile> files;
  if (whole_spool) {
    std::error_code ec;
    if (!fs::is_directory(settings.spool.dir, ec)) {
      std::cerr << "sluice replay: no spool directory " << settings.spool.dir << "\n";
      return 1;
    }
    auto lock = spool::LockSpoolDirectory(DefaultEnv().fs, settings.spool.dir);
    if (!lock) {
      std::cerr << "sluice replay: " << lock.error().message() << "\n";
      return 1;
    }
    locks.push_back(std::move(*lock));
    auto listed = ListSegmentFiles(settings.spool.dir, "replay", /*quarantined=*/false);
    if (!listed) return 1;
    for (fs::path& path : *listed) files.push_back({std::move(path)});
  } else {
    std::set<fs::path> locked;  // a second flock of the same LOCK would refuse ourselves
    for (const std::string& segment : segments) {
      fs::path dir = fs::absolute(segment).parent_path();
      if (locked.insert(dir).second) {
        auto lock = LockIfSpool(dir);
        if (!lock) {
          std::cerr << "sluice replay: " << lock.error().message() << "\n";
          return 1;
        }
        locks.push_back(std::move(*lock));
      }
      files.push_back({segment});
    }
  }

  // First pass: what there is to do, for the progress bar.
  uint64_t total_rows = 0;
  for (SegmentFile& file : files) {
    auto contents = spool::ReadSegment(DefaultEnv().fs, file.path.string());
    if (!contents) continue;  // reported in the second pass
    for (const auto& spooled : contents->batches) file.rows += spooled.batch.events();
    total_rows += file.rows;
  }

  Counters counters;
  Progress progress(total_rows, "rows");
  std::unique_ptr<sink::BatchWriter> writer;
  const std::string own_instance = config::InstanceId(settings);
  uint64_t rows_done = 0, raw_done = 0, batches_seen = 0;
  bool incomplete = false;
  for (const SegmentFile& file : files) {
    auto contents = spool::ReadSegment(DefaultEnv().fs, file.path.string());
    if (!contents) {
      std::cerr << "\nsluice replay: " << contents.error().message() << "; skipped\n";
      incomplete = true;
      continue;
    }
    const std::string instance =
        contents->instance_id.empty() ? own_instance : contents->instance_id;
    size_t next = 0;
    while (next < contents->batches.size()) {
      std::vector<format::Batch> group;
      size_t bytes = 0;
      while (next < contents->batches.size() && group.size() < sink::kMaxBatchesPerTransaction &&
             (group.empty() ||
              bytes + contents->batches[next].batch.bytes() <= sink::kMaxBytesPerTransaction)) {
        bytes += contents->batches[next].batch.bytes();
        group.push_back(std::move(contents->batches[next++].batch));
      }
      Status written = UploadBatches(settings, "sluice replay", writer, instance, group, counters);
      if (!written) {
        progress.Update(rows_done, raw_done, true);
        std::cerr << "sluice replay: " << file.path.string() << ": " << written.error().message()
                  << "\nstopped after " << rows_done << " of " << total_rows
                  << " rows; run it again to go on (committed batches are skipped)\n";
        return 1;
      }
      for (const auto& batch : group) rows_done += batch.events(), raw_done += batch.bytes();
      batches_seen += group.size();
      progress.Update(rows_done, raw_done);
    }
    if (!contents->clean()) {
      std::cerr << "\nsluice replay: " << file.path.string()
                << " is damaged; its intact batches were replayed ('sluice spool verify' says "
                   "more)\n";
      incomplete = true;
    }
    if (whole_spool) {
      std::error_code ec;
      if (contents->clean()) {
        fs::remove(file.path, ec);
      } else {
        fs::create_directories(fs::path(settings.spool.dir) / "quarantine", ec);
        fs::rename(file.path, fs::path(settings.spool.dir) / "quarantine" / file.path.filename(),
                   ec);
      }
      if (ec) std::cerr << "sluice replay: " << file.path.string() << ": " << ec.message() << "\n";
    }
  }
  progress.Update(rows_done, raw_done, true);
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  double seconds = progress.seconds();
  std::printf(
      "replayed %zu segments, %llu batches, %llu rows in %.1f s (%.0f rows/s): %llu batches "
      "written (%llu rows stored, %llu malformed, %llu dead-lettered, %llu lost), %llu already "
      "in the database\n",
      files.size(), static_cast<unsigned long long>(batches_seen),
      static_cast<unsigned long long>(rows_done), seconds,
      seconds > 0 ? static_cast<double>(rows_done) / seconds : 0.0,
      static_cast<unsigned long long>(get(counters.batches_committed)),
      static_cast<unsigned long long>(get(counters.stored)),
      static_cast<unsigned long long>(get(counters.malformed)),
      static_cast<unsigned long long>(get(counters.dead_lettered)),
      static_cast<unsigned long long>(get(counters.shed_rejected)),
      static_cast<unsigned long long>(get(counters.batches_skipped)));
  return incomplete ? 1 : 0;
}

}  // namespace sluice::cli
