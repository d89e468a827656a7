#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/histogram.h"

namespace sluice::daemon {

// Builds a page in the Prometheus text exposition format (version 0.0.4): each family once,
// with its HELP and TYPE lines, then its samples. Counter names end in "_total" (the caller
// passes them so). Not thread-safe: one page, one thread.
class PrometheusText {
 public:
  using Labelled = std::vector<std::pair<std::string, uint64_t>>;  // label value, sample

  void Counter(std::string_view name, std::string_view help, uint64_t value);
  void Gauge(std::string_view name, std::string_view help, double value);
  // One sample per entry of `values`, labelled `label`="<value's first>".
  void LabelledCounter(std::string_view name, std::string_view help, std::string_view label,
                       const Labelled& values);
  // A gauge of value 1 with labels, for facts such as the version.
  void Info(std::string_view name, std::string_view help, std::string_view label,
            std::string_view value);
  void Histogram(std::string_view name, std::string_view help, const sluice::Histogram& histogram);

  const std::string& text() const { return text_; }

 private:
  void Family(std::string_view name, std::string_view help, std::string_view type);
  void Sample(std::string_view name, std::string_view labels, std::string_view value);

  std::string text_;
};

// `value` escaped for a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace sluice::daemon
