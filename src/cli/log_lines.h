#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/counters.h"
#include "config/settings.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "pipeline/log_line_builder.h"

namespace sluice::cli {

// What `sluice import` and `sluice import --follow` do with each line of a log file: rows
// as pipeline::LogLineBuilder makes them (lines cut at ingest.max_datagram_bytes, Exim
// rejectlog header lines not events), added to `batcher` when ingest.keep keeps them (else
// counted as ignored). Not thread-safe; `builder` must
// outlive this.
class LogLines {
 public:
  struct Totals {
    uint64_t lines = 0;      // every line read
    uint64_t ignored = 0;    // not rejects, not kept (ingest.keep)
    uint64_t continued = 0;  // header lines of Exim rejectlog entries
  };

  LogLines(const config::Settings& settings, pipeline::EventBuilder& builder);

  void Add(std::string_view line, int64_t received_at_us, pipeline::Batcher& batcher);
  Totals totals() const {
    Totals totals = totals_;
    totals.continued = rows_.continued();
    return totals;
  }

 private:
  const bool keep_all_;
  pipeline::LogLineBuilder rows_;
  Totals totals_;
};

// Prints "NAME (FORMAT): N lines: N rows stored (N malformed), N ignored, N dead-lettered; N
// batches written, N already in the database" (and the Exim header lines, if any).
void PrintSummary(const std::string& name, std::string_view format, const LogLines::Totals& totals,
                  const Counters& counters);

}  // namespace sluice::cli
