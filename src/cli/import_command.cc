#include "cli/import_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/batch_upload.h"
#include "cli/log_lines.h"
#include "cli/log_source.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "common/counters.h"
#include "config/instance_id.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "sink/batch_writer.h"
#include "sink/writer_pool.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

// The ledger identity of one import: the same unchanged file always gets the same one.
std::string ImportInstanceId(const LogSource& source) {
  if (source.name() == "stdin") {
    return "import:" + config::MachineName() + ":stdin:" + std::to_string(WallMicros());
  }
  std::error_code ec;
  fs::path path = fs::canonical(source.name(), ec);
  return "import:" + config::MachineName() + ":" + (ec ? source.name() : path.string()) + ":" +
         std::to_string(source.size()) + ":" + std::to_string(source.modified_us() / 1'000'000);
}

}  // namespace

int RunImport(const config::Settings& settings, const std::vector<std::string>& paths) {
  std::vector<std::unique_ptr<LogSource>> sources;
  uint64_t total_bytes = 0;
  bool failed = false;
  for (const std::string& path : paths) {
    auto source = LogSource::Open(path);
    if (!source) {
      std::cerr << "sluice import: " << source.error().message() << "\n";
      failed = true;
      continue;
    }
    total_bytes += (*source)->size();
    sources.push_back(std::move(*source));
  }

  Progress progress(total_bytes, "MB", 1'000'000);
  std::unique_ptr<sink::BatchWriter> writer;
  uint64_t bytes_before = 0, lines_all = 0, ignored_all = 0, stored_all = 0;
  for (auto& source : sources) {
    const std::string instance_id = ImportInstanceId(*source);
    Counters counters;
    std::vector<format::Batch> pending;
    size_t pending_bytes = 0;
    Status status = Ok();
    auto upload = [&] {
      if (!pending.empty() && status) {
        status = UploadBatches(settings, "sluice import", writer, instance_id, pending, counters);
      }
      pending.clear();
      pending_bytes = 0;
    };
    pipeline::Batcher batcher(settings.database.batch_rows, std::chrono::hours(24), 1,
                              [&](format::Batch&& batch) {
                                pending_bytes += batch.copy_data.size();
                                pending.push_back(std::move(batch));
                                if (pending.size() >= sink::kMaxBatchesPerTransaction ||
                                    pending_bytes >= sink::kMaxBytesPerTransaction) {
                                  upload();
                                }
                              });
    pipeline::EventBuilder builder;
    builder.SetNow(source->modified_us());
    builder.SetDefaultHost(config::LocalHost(settings));
    LogLines lines(settings, builder);
    int64_t received_at = WallMicros();
    while (status) {
      auto line = source->NextLine();
      if (!line) {
        status = tl::unexpected(line.error());
        break;
      }
      if (!*line) break;
      if ((lines.totals().lines & 4095) == 4095) {
        received_at = WallMicros();
        progress.Update(bytes_before + source->bytes_read(), bytes_before + source->bytes_read());
      }
      lines.Add(**line, received_at, batcher);
    }
    Status read_status = status;  // a damaged file still loads the lines before the damage
    status = Ok();
    batcher.Flush();
    upload();
    bytes_before += source->bytes_read();
    progress.Update(bytes_before, bytes_before, &source == &sources.back());

    PrintSummary(source->name(), source->format(), lines.totals(), counters);
    for (const Status* problem : {&read_status, &status}) {
      if (!*problem) {
        std::cerr << "sluice import: " << problem->error().message() << "\n";
        failed = true;
      }
    }
    if (!status) {
      std::cerr << "sluice import: stopped; run it again to go on (committed batches are "
                   "skipped)\n";
      return 1;
    }
    lines_all += lines.totals().lines;
    ignored_all += lines.totals().ignored;
    stored_all += counters.stored.load() + counters.malformed.load();
  }
  double seconds = progress.seconds();
  std::printf(
      "imported %zu files: %llu lines, %llu rows stored, %llu ignored in %.1f s (%.0f "
      "lines/s)\n",
      sources.size(), static_cast<unsigned long long>(lines_all),
      static_cast<unsigned long long>(stored_all), static_cast<unsigned long long>(ignored_all),
      seconds, seconds > 0 ? static_cast<double>(lines_all) / seconds : 0.0);
  return failed ? 1 : 0;
}

}  // namespace sluice::cli
