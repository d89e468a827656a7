#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::pipeline {

// Estimates how many distinct values it was shown, by linear counting over a bitmap of 2^20 bits
// (128 KiB; good to about 5 million values). Not thread-safe: owned by one thread.
class DistinctCounter {
 public:
  DistinctCounter();

  void Add(std::string_view value);
  // The estimate, or SIZE_MAX once the bitmap is full.
  size_t Estimate() const;
  void Clear();

 private:
  std::vector<uint64_t> bitmap_;
};

}  // namespace sluice::pipeline
