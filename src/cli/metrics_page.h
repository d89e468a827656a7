#pragma once

#include <map>
#include <string>
#include <string_view>

namespace sluice::cli {

// The samples of a Prometheus text page, by their name with labels exactly as written
// ("sluice_events_shed_total{cause=\"queue_full\"}"). Value type; thread-compatible.
class MetricsPage {
 public:
  // Reads every sample line of `text`; comments and lines that are not samples are skipped.
  static MetricsPage Parse(std::string_view text);

  // The value of `sample`, or `missing` when the page has none.
  double Get(const std::string& sample, double missing = 0) const;
  // The sum over every sample of family `name` (all its label sets).
  double Sum(std::string_view name) const;
  // label value → value, for the samples of `name` with label `label`.
  std::map<std::string, double> ByLabel(std::string_view name, std::string_view label) const;
  bool empty() const { return samples_.empty(); }

 private:
  std::map<std::string, double> samples_;
};

}  // namespace sluice::cli
