#include "pipeline/log_line_builder.h"

#include "parse/exim_log_line.h"

namespace sluice::pipeline {

std::optional<format::EventRow> LogLineBuilder::Build(std::string_view line,
                                                      int64_t received_at_us) {
  const bool exim_entry = parse::IsEximLogLine(line);
  if (in_exim_entry_ && !exim_entry) {
    ++continued_;
    return std::nullopt;
  }
  in_exim_entry_ = exim_entry;
  const bool truncated = line.size() > max_bytes_;
  if (truncated) line = line.substr(0, max_bytes_);
  return builder_.Build({line, received_at_us, truncated});
}

}  // namespace sluice::pipeline
