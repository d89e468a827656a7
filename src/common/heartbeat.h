#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "common/clock.h"

namespace sluice {

// Proof that a thread is running its loop, for the service watchdog and /healthz. The thread
// calls Beat() as it goes round (and from inside long waits that have their own deadline) and
// Waiting() before it blocks for work that may never come; Stuck() is true when it has been
// neither beating nor waiting for longer than a limit: blocked in a call that does not
// return (a disk that hangs, a lock never released, a loop that spins).
// Thread-safe: Beat()/Waiting() from the owning thread, Stuck()/SinceBeat() from any.
// `clock` must outlive this.
class Heartbeat {
 public:
  explicit Heartbeat(const Clock& clock) : clock_(clock) { Beat(); }

  void Beat() {
    last_beat_.store(clock_.Now().time_since_epoch().count(), std::memory_order_relaxed);
    waiting_.store(false, std::memory_order_relaxed);
  }
  void Waiting() {
    Beat();
    waiting_.store(true, std::memory_order_relaxed);
  }

  // How long since the last Beat(); zero while waiting.
  std::chrono::nanoseconds SinceBeat() const {
    if (waiting_.load(std::memory_order_relaxed)) return std::chrono::nanoseconds(0);
    Clock::TimePoint last{Clock::TimePoint::duration(last_beat_.load(std::memory_order_relaxed))};
    return clock_.Now() - last;
  }
  bool Stuck(std::chrono::nanoseconds limit) const { return SinceBeat() > limit; }
  // Whether the owner is waiting for work now.
  bool waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  const Clock& clock_;
  std::atomic<Clock::TimePoint::rep> last_beat_{0};
  std::atomic<bool> waiting_{false};
};

}  // namespace sluice
