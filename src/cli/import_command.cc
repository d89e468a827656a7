#include "cli/import_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/batch_upload.h"
#include "cli/log_source.h"
#include "cli/progress.h"
#include "common/clock.h"
#include "common/counters.h"
#include "config/instance_id.h"
#include "parse/exim_log_line.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "sink/batch_writer.h"
#include "sink/writer_pool.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

std::string HostName() {
  char name[256] = {};
  return ::gethostname(name, sizeof name - 1) == 0 ? std::string(name) : "localhost";
}

// The ledger identity of one import: the same unchanged file always gets the same one.
std::string ImportInstanceId(const LogSource& source) {
  if (source.name() == "stdin") {
    return "import:" + HostName() + ":stdin:" + std::to_string(WallMicros());
  }
  std::error_code ec;
  fs::path path = fs::canonical(source.name(), ec);
  return "import:" + HostName() + ":" + (ec ? source.name() : path.string()) + ":" +
         std::to_string(source.size()) + ":" + std::to_string(source.modified_us() / 1'000'000);
}

struct FileTotals {
  uint64_t lines = 0, ignored = 0;
  uint64_t continued = 0;  // header lines of Exim rejectlog entries: part of an entry
};

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

  const bool keep_all = settings.ingest.keep == "all";
  Progress progress(total_bytes, "MB", 1'000'000);
  std::unique_ptr<sink::BatchWriter> writer;
  uint64_t bytes_before = 0, lines_all = 0, ignored_all = 0, stored_all = 0;
  for (auto& source : sources) {
    const std::string instance_id = ImportInstanceId(*source);
    Counters counters;
    FileTotals totals;
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
    int64_t received_at = WallMicros();
    bool in_exim_entry = false;
    while (status) {
      auto line = source->NextLine();
      if (!line) {
        status = tl::unexpected(line.error());
        break;
      }
      if (!*line) break;
      ++totals.lines;
      if ((totals.lines & 4095) == 0) {
        received_at = WallMicros();
        progress.Update(bytes_before + source->bytes_read(), bytes_before + source->bytes_read());
      }
      std::string_view text = **line;
      // A rejectlog entry goes on with the header lines of its message: part of the entry,
      // not events of their own.
      const bool exim_entry = parse::IsEximLogLine(text);
      if (in_exim_entry && !exim_entry) {
        ++totals.continued;
        continue;
      }
      in_exim_entry = exim_entry;
      bool truncated = text.size() > settings.ingest.max_datagram_bytes;
      if (truncated) text = text.substr(0, settings.ingest.max_datagram_bytes);
      format::EventRow row = builder.Build({text, received_at, truncated});
      if (keep_all || row.malformed || row.is_reject == true) {
        batcher.Add(row, pipeline::Batcher::Clock::now());
      } else {
        ++totals.ignored;
      }
    }
    Status read_status = status;  // a damaged file still loads the lines before the damage
    status = Ok();
    batcher.Flush();
    upload();
    bytes_before += source->bytes_read();
    progress.Update(bytes_before, bytes_before, &source == &sources.back());

    auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    std::printf(
        "%s (%.*s): %llu lines: %llu rows stored (%llu malformed), %llu ignored, %llu "
        "dead-lettered; %llu batches written, %llu already in the database%s\n",
        source->name().c_str(), static_cast<int>(source->format().size()), source->format().data(),
        static_cast<unsigned long long>(totals.lines),
        static_cast<unsigned long long>(get(counters.stored) + get(counters.malformed)),
        static_cast<unsigned long long>(get(counters.malformed)),
        static_cast<unsigned long long>(totals.ignored),
        static_cast<unsigned long long>(get(counters.dead_lettered)),
        static_cast<unsigned long long>(get(counters.batches_committed)),
        static_cast<unsigned long long>(get(counters.batches_skipped)),
        totals.continued == 0 ? ""
                              : ("; " + std::to_string(totals.continued) +
                                 " header lines of Exim rejectlog entries (not events)")
                                    .c_str());
    std::fflush(stdout);
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
    lines_all += totals.lines;
    ignored_all += totals.ignored;
    stored_all += get(counters.stored) + get(counters.malformed);
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
