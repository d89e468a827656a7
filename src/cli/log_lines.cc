#include "cli/log_lines.h"

#include <cstdio>

#include "pipeline/row_route.h"

namespace sluice::cli {

LogLines::LogLines(const config::Settings& settings, pipeline::EventBuilder& builder)
    : keep_all_(settings.ingest.keep == "all"),
      rows_(builder, settings.ingest.max_datagram_bytes) {}

void LogLines::Add(std::string_view line, int64_t received_at_us, pipeline::Batcher& batcher) {
  ++totals_.lines;
  std::optional<format::EventRow> row = rows_.Build(line, received_at_us);
  if (!row) return;
  if (pipeline::RouteOf(*row, keep_all_) != pipeline::RowRoute::kIgnore) {
    batcher.Add(*row, pipeline::Batcher::Clock::now());
  } else {
    ++totals_.ignored;
  }
}

void PrintSummary(const std::string& name, std::string_view format, const LogLines::Totals& totals,
                  const Counters& counters) {
  auto get = [](const std::atomic<uint64_t>& c) {
    return static_cast<unsigned long long>(c.load(std::memory_order_relaxed));
  };
  std::string continued;
  if (totals.continued > 0) {
    continued = "; " + std::to_string(totals.continued) +
                " header lines of Exim rejectlog entries (not events)";
  }
  std::printf(
      "%s (%.*s): %llu lines: %llu rows stored (%llu malformed), %llu ignored, %llu "
      "dead-lettered; %llu batches written, %llu already in the database%s\n",
      name.c_str(), static_cast<int>(format.size()), format.data(),
      static_cast<unsigned long long>(totals.lines), get(counters.stored) + get(counters.malformed),
      get(counters.malformed), static_cast<unsigned long long>(totals.ignored),
      get(counters.dead_lettered), get(counters.batches_committed), get(counters.batches_skipped),
      continued.c_str());
  std::fflush(stdout);
}

}  // namespace sluice::cli
