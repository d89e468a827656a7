#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>

namespace sluice::pipeline {

// flood.mode: when reject events are aggregated instead of stored one by one.
enum class FloodMode { kAuto, kAlways, kNever };

// Decides whether sluiced is under flood: enters when the ingest rate over a sliding window
// reaches `enter_rate` or the backlog (events waiting in memory and spool) reaches
// `enter_backlog`; leaves once the rate is below `leave_rate` and the backlog below
// `leave_backlog`, without a break, for `leave_after` (hysteresis, so a flood that pauses for
// a second is not left and re-entered). Not thread-safe: owned by the pipeline thread.
class FloodDetector {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    FloodMode mode = FloodMode::kAuto;
    double enter_rate = 20'000;  // events/s
    double leave_rate = 5'000;
    std::chrono::milliseconds rate_window{5'000};
    uint64_t enter_backlog = 1'000'000;  // events
    uint64_t leave_backlog = 100'000;
    std::chrono::milliseconds leave_after{10'000};
  };

  explicit FloodDetector(const Options& options);

  // Takes a sample: `received` is the running count of datagrams read from the socket,
  // `backlog` the events waiting now. Returns whether sluiced is under flood after it.
  bool Update(Clock::time_point now, uint64_t received, uint64_t backlog);

  bool in_flood() const { return in_flood_; }
  // New thresholds (and window), from the next Update() on; the mode stays as it was.
  void SetThresholds(const Options& options);
  // Events/s over the sliding window, as of the last Update().
  double rate() const { return rate_; }

 private:
  Options options_;
  bool in_flood_;
  double rate_ = 0;
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_;  // oldest first
  Clock::time_point calm_since_{};  // when both fell below the leave thresholds; 0 = not
};

}  // namespace sluice::pipeline
