#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace sluice::testing {

// A Clock that moves only when a test moves it. WaitFor() returns once `ready()` holds, stop is
// requested, or Advance() has moved this clock past the deadline; it looks again every
// millisecond of real time, so a waiter notices an Advance() from another thread at once.
// Thread-safe.
class FakeClock final : public Clock {
 public:
  // Starts at `wall_us` microseconds since the Unix epoch (and an arbitrary monotonic time).
  explicit FakeClock(int64_t wall_us = 1'000'000);

  TimePoint Now() const override;
  int64_t WallMicros() const override;
  bool WaitFor(std::condition_variable_any& cv, MutexLock& lock, std::stop_token stop,
               std::chrono::nanoseconds timeout, const std::function<bool()>& ready) const override;

  // Moves both the monotonic and the wall clock forward by `step`.
  void Advance(std::chrono::nanoseconds step);
  // Sets the wall clock alone (the monotonic one never goes back).
  void SetWallMicros(int64_t wall_us);

 private:
  std::atomic<int64_t> monotonic_ns_{1'000'000'000};
  std::atomic<int64_t> wall_us_;
};

}  // namespace sluice::testing
