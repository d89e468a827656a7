#include "pipeline/flood_detector.h"

namespace sluice::pipeline {
namespace {

constexpr std::chrono::milliseconds kMinSampleGap{100};

}  // namespace

FloodDetector::FloodDetector(const Options& options)
    : options_(options), in_flood_(options.mode == FloodMode::kAlways) {}

bool FloodDetector::Update(Clock::time_point now, uint64_t received, uint64_t backlog) {
  if (options_.mode != FloodMode::kAuto) return in_flood_;
  if (samples_.empty() || now - samples_.back().first >= kMinSampleGap) {
    samples_.emplace_back(now, received);
  }
  while (samples_.size() > 2 && now - samples_[1].first >= options_.rate_window) {
    samples_.pop_front();
  }
  const auto& [oldest_at, oldest] = samples_.front();
  double seconds = std::chrono::duration<double>(now - oldest_at).count();
  rate_ = seconds >= 0.05 ? static_cast<double>(received - oldest) / seconds : 0;

  if (!in_flood_) {
    if (rate_ >= options_.enter_rate || backlog >= options_.enter_backlog) {
      in_flood_ = true;
      calm_since_ = {};
    }
    return in_flood_;
  }
  if (rate_ >= options_.leave_rate || backlog >= options_.leave_backlog) {
    calm_since_ = {};
  } else if (calm_since_ == Clock::time_point{}) {
    calm_since_ = now;
  } else if (now - calm_since_ >= options_.leave_after) {
    in_flood_ = false;
    calm_since_ = {};
  }
  return in_flood_;
}

void FloodDetector::SetThresholds(const Options& options) {
  const FloodMode mode = options_.mode;
  options_ = options;
  options_.mode = mode;
}

}  // namespace sluice::pipeline
