#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace sluice::sink {

// Exponential backoff with jitter: the n-th delay is drawn uniformly from [d/2, d] where
// d = min(max, min * 2^n). Reset() after a success. Not thread-safe: one per writer.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max, uint64_t seed)
      : min_(min), max_(max), rng_(seed) {}

  std::chrono::milliseconds Next() {
    auto ceiling = min_;
    for (int i = 0; i < attempts_ && ceiling < max_; ++i) ceiling *= 2;
    if (ceiling > max_) ceiling = max_;
    ++attempts_;
    std::uniform_int_distribution<int64_t> pick(ceiling.count() / 2, ceiling.count());
    return std::chrono::milliseconds(pick(rng_));
  }
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds min_;
  std::chrono::milliseconds max_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace sluice::sink
