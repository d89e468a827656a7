#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace sluice::cli {

// A progress bar on stderr for the long CLI verbs (replay, import): redrawn at most 5 times
// a second, and only on a terminal; nothing otherwise. Not thread-safe.
class Progress {
 public:
  // `total` units of `unit_size` each make 100 %; the bar shows "done/total unit".
  Progress(uint64_t total, std::string unit, uint64_t unit_size = 1);

  // `done` of the total; `bytes` processed so far, for the MB/s figure. `final` draws even if
  // the last draw was recent, and ends the line.
  void Update(uint64_t done, uint64_t bytes, bool final = false);
  double seconds() const;

 private:
  using Clock = std::chrono::steady_clock;

  uint64_t total_;
  std::string unit_;
  uint64_t unit_size_;
  bool tty_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace sluice::cli
