#include "daemon/prometheus_text.h"

#include <gtest/gtest.h>

namespace sluice::daemon {
namespace {

TEST(PrometheusTextTest, FamiliesHaveHelpAndTypeAndLabelValuesAreEscaped) {
  PrometheusText page;
  page.Counter("x_total", "Things.", 3);
  page.LabelledCounter("y_total", "By cause.", "cause", {{"a\"b\\c\nd", 1}, {"plain", 2}});
  page.Gauge("z", "A gauge.", 0.5);
  EXPECT_EQ(page.text(),
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"
            "# HELP y_total By cause.\n# TYPE y_total counter\n"
            "y_total{cause=\"a\\\"b\\\\c\\nd\"} 1\ny_total{cause=\"plain\"} 2\n"
            "# HELP z A gauge.\n# TYPE z gauge\nz 0.5\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeWithInfEqualToCount) {
  Histogram histogram({0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 3.0, 7.0}) histogram.Observe(v);
  PrometheusText page;
  page.Histogram("h_seconds", "Times.", histogram);
  EXPECT_EQ(page.text(),
            "# HELP h_seconds Times.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.1\"} 2\nh_seconds_bucket{le=\"1\"} 3\n"
            "h_seconds_bucket{le=\"+Inf\"} 5\nh_seconds_sum 10.65\nh_seconds_count 5\n");
}

}  // namespace
}  // namespace sluice::daemon
