#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace sluice {

// Counts of observed values in fixed buckets, with their sum and count: a Prometheus
// histogram (README "Watching it"). Thread-safe: Observe() is lock-free (relaxed atomics) and
// may be called from any thread; a reading is consistent only once observers are idle.
class Histogram {
 public:
  // `upper_bounds`: ascending; a bucket for values above the last is implied (+Inf).
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations per bucket (not cumulative): upper_bounds().size() + 1 of them, +Inf last.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

}  // namespace sluice
