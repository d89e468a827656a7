#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "format/event_row.h"
#include "pipeline/event_builder.h"

namespace sluice::pipeline {

// Turns the lines of one log file into rows, as EventBuilder turns datagrams: a line longer
// than `max_bytes` is cut there (and is malformed, like a truncated datagram); the header lines
// that follow an Exim rejectlog entry are part of that entry, not events (nullopt, counted in
// continued()). The row is valid until the next Build() on `builder`.
// Not thread-safe: one per file (it remembers whether it is inside an Exim entry); `builder`
// must outlive it.
class LogLineBuilder {
 public:
  LogLineBuilder(EventBuilder& builder, size_t max_bytes)
      : builder_(builder), max_bytes_(max_bytes) {}

  std::optional<format::EventRow> Build(std::string_view line, int64_t received_at_us);
  uint64_t continued() const { return continued_; }

 private:
  EventBuilder& builder_;
  const size_t max_bytes_;
  bool in_exim_entry_ = false;
  uint64_t continued_ = 0;
};

}  // namespace sluice::pipeline
