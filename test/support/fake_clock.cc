#include "support/fake_clock.h"

namespace sluice::testing {

FakeClock::FakeClock(int64_t wall_us) : wall_us_(wall_us) {}

Clock::TimePoint FakeClock::Now() const {
  return TimePoint(std::chrono::nanoseconds(monotonic_ns_.load()));
}

int64_t FakeClock::WallMicros() const { return wall_us_.load(); }

bool FakeClock::WaitFor(std::condition_variable_any& cv, MutexLock& lock, std::stop_token stop,
                        std::chrono::nanoseconds timeout,
                        const std::function<bool()>& ready) const {
  const TimePoint deadline = Now() + timeout;
  while (!ready()) {
    if (stop.stop_requested() || Now() >= deadline) return false;
    cv.wait_for(lock, stop, std::chrono::milliseconds(1), ready);
  }
  return true;
}

void FakeClock::Advance(std::chrono::nanoseconds step) {
  monotonic_ns_.fetch_add(step.count());
  wall_us_.fetch_add(std::chrono::duration_cast<std::chrono::microseconds>(step).count());
}

void FakeClock::SetWallMicros(int64_t wall_us) { wall_us_.store(wall_us); }

}  // namespace sluice::testing
