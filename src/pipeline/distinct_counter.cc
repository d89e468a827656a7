#include "pipeline/distinct_counter.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>

namespace sluice::pipeline {
namespace {

constexpr int kBitmapBits = 20;
constexpr size_t kBitmapWords = (size_t{1} << kBitmapBits) / 64;

}  // namespace

DistinctCounter::DistinctCounter() : bitmap_(kBitmapWords) {}

void DistinctCounter::Add(std::string_view value) {
  uint64_t bit = (std::hash<std::string_view>{}(value)*0x9E3779B97F4A7C15ull) >> (64 - kBitmapBits);
  bitmap_[bit / 64] |= uint64_t{1} << (bit % 64);
}

size_t DistinctCounter::Estimate() const {
  size_t set = 0;
  for (uint64_t word : bitmap_) set += static_cast<size_t>(std::popcount(word));
  const double bits = static_cast<double>(bitmap_.size() * 64);
  const size_t zeros = bitmap_.size() * 64 - set;
  if (zeros == 0) return SIZE_MAX;
  return static_cast<size_t>(-bits * std::log(static_cast<double>(zeros) / bits));
}

void DistinctCounter::Clear() { std::fill(bitmap_.begin(), bitmap_.end(), 0); }

}  // namespace sluice::pipeline
