#include "cli/spool_command.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/row_json.h"
#include "cli/segment_files.h"
#include "common/env.h"
#include "format/copy_decoder.h"
#include "spool/segment_reader.h"

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

// The received_at of the first and the last row of a batch ("" when it does not decode).
std::pair<std::string, std::string> FirstAndLastEvent(const format::Batch& batch) {
  auto tuples = format::CopyDecoder::SplitTuples(batch.copy_data);
  if (!tuples || tuples->empty()) return {};
  auto received_at = [](std::string_view tuple) -> std::string {
    auto fields = format::CopyDecoder::DecodeTuple(tuple);
    return fields ? std::string(format::FieldText(*fields, "received_at")) : "";
  };
  return {received_at(tuples->front()), received_at(tuples->back())};
}

std::string State(const Result<spool::SegmentContents>& contents, const fs::path& path) {
  std::string state = path.parent_path().filename() == "quarantine" ? "quarantined" : "ok";
  if (!contents) return "unreadable";
  if (!contents->damage.empty()) state += ",damaged";
  if (contents->torn_tail) state += ",torn-tail";
  return state;
}

}  // namespace

int RunSpoolList(const config::Settings& settings) {
  auto listed = ListSegmentFiles(settings.spool.dir, "spool ls", /*quarantined=*/true);
  if (!listed) return 1;
  const std::vector<fs::path>& files = *listed;
  std::error_code ec;
  std::printf("%-40s %8s %10s %12s %12s %6s %-27s %-27s %s\n", "segment", "batches", "events",
              "disk bytes", "raw bytes", "ratio", "oldest event (UTC)", "newest event (UTC)",
              "state");
  uint64_t total_batches = 0, total_rows = 0, total_disk = 0, total_raw = 0;
  for (const fs::path& path : files) {
    auto contents = spool::ReadSegment(DefaultEnv().fs, path.string());
    uint64_t rows = 0, raw = 0;
    size_t batches = contents ? contents->batches.size() : 0;
    std::string oldest = "-", newest = "-";
    if (contents) {
      for (const auto& spooled : contents->batches) {
        rows += spooled.batch.events();  // detail rows and aggregated events
        raw += spooled.batch.bytes();
        auto [first, last] = FirstAndLastEvent(spooled.batch);
        if (!first.empty() && (oldest == "-" || first < oldest)) oldest = first;
        if (!last.empty() && (newest == "-" || last > newest)) newest = last;
      }
    }
    uint64_t disk = fs::file_size(path, ec);
    std::printf("%-40s %8zu %10llu %12llu %12llu %6.1f %-27s %-27s %s\n",
                path.lexically_relative(settings.spool.dir).c_str(), batches,
                static_cast<unsigned long long>(rows), static_cast<unsigned long long>(disk),
                static_cast<unsigned long long>(raw),
                disk > 0 ? static_cast<double>(raw) / static_cast<double>(disk) : 0.0,
                oldest.c_str(), newest.c_str(), State(contents, path).c_str());
    total_batches += batches;
    total_rows += rows;
    total_disk += disk;
    total_raw += raw;
  }
  std::printf(
      "%zu segments, %llu batches, %llu events, %llu bytes on disk (%.1fx)\n", files.size(),
      static_cast<unsigned long long>(total_batches), static_cast<unsigned long long>(total_rows),
      static_cast<unsigned long long>(total_disk),
      total_disk > 0 ? static_cast<double>(total_raw) / static_cast<double>(total_disk) : 0.0);
  return 0;
}

int RunSpoolVerify(const config::Settings& settings) {
  auto listed = ListSegmentFiles(settings.spool.dir, "spool verify", /*quarantined=*/true);
  if (!listed) return 1;
  const std::vector<fs::path>& files = *listed;
  int bad = 0;
  size_t batches = 0;
  for (const fs::path& path : files) {
    auto contents = spool::ReadSegment(DefaultEnv().fs, path.string());
    if (!contents) {
      std::cout << path.string() << ": " << contents.error().message() << "\n";
      ++bad;
      continue;
    }
    batches += contents->batches.size();
    for (const spool::Damage& damage : contents->damage) {
      std::cout << path.string() << ": bytes " << damage.offset << ".."
                << damage.offset + damage.length << " damaged: " << damage.reason << "\n";
    }
    if (contents->torn_tail) {
      std::cout << path.string() << ": torn tail after byte " << contents->valid_end << " of "
                << contents->file_bytes << " (a crash while appending)\n";
    }
    if (!contents->clean()) ++bad;
  }
  std::cout << files.size() << " segments, " << batches << " intact batches, " << bad
            << (bad == 1 ? " segment" : " segments") << " with damage\n";
  return bad == 0 ? 0 : 1;
}

int RunSpoolCat(const config::Settings& settings, const std::vector<std::string>& segments,
                bool json) {
  std::vector<fs::path> files(segments.begin(), segments.end());
  if (files.empty()) {
    auto listed = ListSegmentFiles(settings.spool.dir, "spool cat", /*quarantined=*/false);
    if (!listed) return 1;
    files = std::move(*listed);
  }
  bool damaged = false;
  std::string line;
  for (const fs::path& path : files) {
    auto contents = spool::ReadSegment(DefaultEnv().fs, path.string());
    if (!contents) {
      std::cerr << "sluice spool cat: " << contents.error().message() << "\n";
      damaged = true;
      continue;
    }
    if (!contents->clean()) {
      std::cerr << "sluice spool cat: " << path.string()
                << ": damaged or torn; printing its intact batches ('sluice spool verify' "
                   "says more)\n";
      damaged = true;
    }
    for (const spool::SpooledBatch& spooled : contents->batches) {
      const format::Batch& batch = spooled.batch;
      if (batch.aggregate_rows + batch.shed_rows > 0) {
        std::cerr << "sluice spool cat: " << path.string() << ": batch " << batch.id
                  << " also holds " << batch.aggregate_rows << " aggregate rows ("
                  << batch.aggregated_events << " events) and " << batch.shed_rows << " shed rows ("
                  << batch.shed_events << " events), not printed\n";
      }
      if (batch.copy_data.empty()) continue;  // a summary batch: no detail rows
      auto tuples = format::CopyDecoder::SplitTuples(batch.copy_data);
      if (!tuples) {
        std::cerr << "sluice spool cat: " << path.string() << ": batch " << spooled.batch.id << ": "
                  << tuples.error().message() << "\n";
        damaged = true;
        continue;
      }
      for (std::string_view tuple : *tuples) {
        auto fields = format::CopyDecoder::DecodeTuple(tuple);
        if (!fields) {
          std::cerr << "sluice spool cat: " << path.string() << ": batch " << spooled.batch.id
                    << ": " << fields.error().message() << "\n";
          damaged = true;
          continue;
        }
        if (json) {
          line = FieldsToJson(*fields);
        } else {
          line = format::FieldText(*fields, "received_at");
          line.append("\t").append(format::FieldText(*fields, "raw"));
        }
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      }
    }
  }
  return damaged ? 1 : 0;
}

}  // namespace sluice::cli
