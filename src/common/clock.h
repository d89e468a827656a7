#pragma once

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <stop_token>

#include "common/mutex.h"

namespace sluice {

// Wall-clock time, microseconds since the Unix epoch. Thread-safe; a vDSO call, no syscall.
inline int64_t WallMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// Coarse monotonic time (a few ms of resolution), microseconds. Thread-safe and cheap enough
// for the receive loop (which reads the real clock only: nothing there waits on time).
inline int64_t CoarseMonotonicMicros() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// Time as the parts that wait, time out or stamp windows see it, so that a test can move it
// (test/support/fake_clock.h) instead of sleeping. Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time.
  virtual TimePoint Now() const = 0;
  // Wall-clock time, microseconds since the Unix epoch.
  virtual int64_t WallMicros() const = 0;
  // Waits on `cv` (whose mutex `lock` holds) until `ready()` is true, `stop` is requested or
  // `timeout` has passed on this clock; `ready` is called with the mutex held. Returns ready().
  virtual bool WaitFor(std::condition_variable_any& cv, MutexLock& lock, std::stop_token stop,
                       std::chrono::nanoseconds timeout,
                       const std::function<bool()>& ready) const = 0;
  // WaitFor() until `deadline` on this clock.
  bool WaitUntil(std::condition_variable_any& cv, MutexLock& lock, std::stop_token stop,
                 TimePoint deadline, const std::function<bool()>& ready) const {
    return WaitFor(cv, lock, std::move(stop), deadline - Now(), ready);
  }
};

// The machine's clocks: steady_clock, CLOCK_REALTIME, and real waits. Thread-safe.
class RealClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  int64_t WallMicros() const override { return ::sluice::WallMicros(); }
  bool WaitFor(std::condition_variable_any& cv, MutexLock& lock, std::stop_token stop,
               std::chrono::nanoseconds timeout,
               const std::function<bool()>& ready) const override {
    return cv.wait_for(lock, std::move(stop), timeout, ready);
  }
};

}  // namespace sluice
