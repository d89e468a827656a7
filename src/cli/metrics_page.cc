#include "cli/metrics_page.h"

#include <cstdlib>

namespace sluice::cli {
namespace {

// The family a sample belongs to: its name up to the labels.
std::string_view FamilyOf(std::string_view sample) { return sample.substr(0, sample.find('{')); }

}  // namespace

MetricsPage MetricsPage::Parse(std::string_view text) {
  MetricsPage page;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? "" : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    // Label values may hold spaces: the value starts after the last one.
    size_t space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0) continue;
    std::string value(line.substr(space + 1));
    char* parsed_end = nullptr;
    double number = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) continue;
    page.samples_[std::string(line.substr(0, space))] = number;
  }
  return page;
}

double MetricsPage::Get(const std::string& sample, double missing) const {
  auto found = samples_.find(sample);
  return found == samples_.end() ? missing : found->second;
}

double MetricsPage::Sum(std::string_view name) const {
  double sum = 0;
  for (const auto& [sample, value] : samples_) {
    if (FamilyOf(sample) == name) sum += value;
  }
  return sum;
}

std::map<std::string, double> MetricsPage::ByLabel(std::string_view name,
                                                   std::string_view label) const {
  std::map<std::string, double> values;
  const std::string prefix = std::string(name) + "{" + std::string(label) + "=\"";
  for (const auto& [sample, value] : samples_) {
    if (sample.rfind(prefix, 0) != 0) continue;
    size_t end = sample.find('"', prefix.size());
    if (end != std::string::npos) values[sample.substr(prefix.size(), end - prefix.size())] = value;
  }
  return values;
}

}  // namespace sluice::cli
