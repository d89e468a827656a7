#include "daemon/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace sluice::daemon {
namespace {

std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : "NaN";
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

void PrometheusText::Family(std::string_view name, std::string_view help, std::string_view type) {
  text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void PrometheusText::Sample(std::string_view name, std::string_view labels,
                            std::string_view value) {
  text_.append(name);
  if (!labels.empty()) text_.append("{").append(labels).append("}");
  text_.append(" ").append(value).append("\n");
}

void PrometheusText::Counter(std::string_view name, std::string_view help, uint64_t value) {
  Family(name, help, "counter");
  Sample(name, "", std::to_string(value));
}

void PrometheusText::Gauge(std::string_view name, std::string_view help, double value) {
  Family(name, help, "gauge");
  Sample(name, "", Number(value));
}

void PrometheusText::LabelledCounter(std::string_view name, std::string_view help,
                                     std::string_view label, const Labelled& values) {
  Family(name, help, "counter");
  for (const auto& [label_value, value] : values) {
    std::string labels = std::string(label) + "=\"" + EscapeLabelValue(label_value) + "\"";
    Sample(name, labels, std::to_string(value));
  }
}

void PrometheusText::Info(std::string_view name, std::string_view help, std::string_view label,
                          std::string_view value) {
  Family(name, help, "gauge");
  Sample(name, std::string(label) + "=\"" + EscapeLabelValue(value) + "\"", "1");
}

void PrometheusText::Histogram(std::string_view name, std::string_view help,
                               const sluice::Histogram& histogram) {
  Family(name, help, "histogram");
  const std::string base(name);
  std::vector<uint64_t> counts = histogram.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    std::string bound =
        i < histogram.upper_bounds().size() ? Number(histogram.upper_bounds()[i]) : "+Inf";
    Sample(base + "_bucket", "le=\"" + bound + "\"", std::to_string(cumulative));
  }
  Sample(base + "_sum", "", Number(histogram.sum()));
  // The count is the +Inf bucket's, so that the two agree on a page read while writers run.
  Sample(base + "_count", "", std::to_string(cumulative));
}

}  // namespace sluice::daemon
