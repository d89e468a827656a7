#include "pipeline/flood_detector.h"

#include <gtest/gtest.h>

namespace sluice::pipeline {
namespace {

using std::chrono::milliseconds;
using Clock = FloodDetector::Clock;

FloodDetector::Options Thresholds() {
  FloodDetector::Options options;
  options.enter_rate = 1000;
  options.leave_rate = 100;
  options.rate_window = milliseconds(1000);
  options.enter_backlog = 50'000;
  options.leave_backlog = 5'000;
  options.leave_after = milliseconds(2000);
  return options;
}

// Feeds `rate` events/s for `duration`, a sample every 100 ms; returns the last state.
bool Feed(FloodDetector& detector, Clock::time_point& now, uint64_t& received, uint64_t rate,
          milliseconds duration, uint64_t backlog = 0) {
  bool flood = detector.in_flood();
  for (milliseconds t{0}; t < duration; t += milliseconds(100)) {
    now += milliseconds(100);
    received += rate / 10;
    flood = detector.Update(now, received, backlog);
  }
  return flood;
}

TEST(FloodDetectorTest, EntersOnRateAndLeavesOnlyAfterStayingCalm) {
  FloodDetector detector(Thresholds());
  Clock::time_point now{};
  uint64_t received = 0;
  EXPECT_FALSE(Feed(detector, now, received, 500, milliseconds(3000)));
  EXPECT_TRUE(Feed(detector, now, received, 5000, milliseconds(1000)));
  EXPECT_GT(detector.rate(), 1000);
  // Below the enter rate but above the leave rate: still a flood (hysteresis).
  EXPECT_TRUE(Feed(detector, now, received, 500, milliseconds(5000)));
  // Calm, but not yet for leave_after.
  EXPECT_TRUE(Feed(detector, now, received, 0, milliseconds(2000)));
  EXPECT_FALSE(Feed(detector, now, received, 0, milliseconds(1500)));
}

TEST(FloodDetectorTest, ABurstDuringTheCalmRestartsTheWait) {
  FloodDetector detector(Thresholds());
  Clock::time_point now{};
  uint64_t received = 0;
  ASSERT_TRUE(Feed(detector, now, received, 5000, milliseconds(1000)));
  EXPECT_TRUE(Feed(detector, now, received, 0, milliseconds(2500)));
  EXPECT_TRUE(Feed(detector, now, received, 3000, milliseconds(300)));
  EXPECT_TRUE(Feed(detector, now, received, 0, milliseconds(2500)));
  EXPECT_FALSE(Feed(detector, now, received, 0, milliseconds(1500)));
}

TEST(FloodDetectorTest, EntersOnBacklogAndStaysWhileItDrains) {
  FloodDetector detector(Thresholds());
  Clock::time_point now{};
  uint64_t received = 0;
  EXPECT_TRUE(Feed(detector, now, received, 10, milliseconds(500), 60'000));
  EXPECT_TRUE(Feed(detector, now, received, 10, milliseconds(5000), 20'000));
  EXPECT_FALSE(Feed(detector, now, received, 10, milliseconds(3000), 1'000));
}

// SIGHUP's new thresholds apply from the next sample on; the mode stays what it was.
TEST(FloodDetectorTest, NewThresholdsApplyAtOnceButNotANewMode) {
  FloodDetector detector(Thresholds());
  Clock::time_point now{};
  uint64_t received = 0;
  EXPECT_FALSE(Feed(detector, now, received, 500, milliseconds(2000)));
  FloodDetector::Options lower = Thresholds();
  lower.enter_rate = 400;
  lower.leave_rate = 40;
  lower.mode = FloodMode::kNever;
  detector.SetThresholds(lower);
  EXPECT_TRUE(Feed(detector, now, received, 500, milliseconds(200)));
}

TEST(FloodDetectorTest, AlwaysAndNeverIgnoreTheLoad) {
  FloodDetector::Options options = Thresholds();
  options.mode = FloodMode::kAlways;
  FloodDetector always(options);
  Clock::time_point now{};
  uint64_t received = 0;
  EXPECT_TRUE(Feed(always, now, received, 0, milliseconds(5000)));
  options.mode = FloodMode::kNever;
  FloodDetector never(options);
  EXPECT_FALSE(Feed(never, now, received, 100'000, milliseconds(2000), 1'000'000));
}

}  // namespace
}  // namespace sluice::pipeline
