#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "format/event_row.h"
#include "format/summary_encoder.h"

namespace sluice::pipeline {

// The fields an aggregation key may be made of (flood.key).
enum class KeyField { kHost, kMta, kStage, kClientIp, kReasonClass, kRbl, kSmtpCode };

// The KeyField a flood.key entry names ("client_ip", ...), or nullopt.
std::optional<KeyField> KeyFieldNamed(std::string_view name);

// How fine the keys are: as configured, with client_ip cut to its /24 (IPv4) or /64 (IPv6)
// network, or reason class and host only. Each step is taken when the keys of a window reach
// max_keys (the keys already counted are merged into the coarser ones, nothing is lost).
enum class Granularity { kKey = 0, kPrefix = 1, kClass = 2 };

std::string_view GranularityName(Granularity granularity);

// Counts reject events per key for one window at a time, in at most `max_keys` keys, with one
// sample line per key. When even reason-class keys are full, an event is refused (the caller
// counts it as shed, "aggregate_full"). A window starts at the granularity the last one ended
// with, or finer when the distinct keys the last window would have had at the finer level
// (estimated by linear counting) would have fitted. Memory: about max_keys × (key + sample ≤ 512 bytes + 100).
// Not thread-safe: owned by the pipeline thread.
class Aggregator {
 public:
  struct Options {
    std::vector<KeyField> key{KeyField::kClientIp, KeyField::kReasonClass, KeyField::kRbl,
                              KeyField::kHost};
    size_t max_keys = 100'000;
  };

  explicit Aggregator(Options options);

  // Counts `row` in the open window. False when it could not be counted (no key left).
  bool Add(const format::EventRow& row);

  // Emits one row per key of the open window, with the given bounds, then starts the next
  // window (empty, at the granularity the estimate allows). The rows' views are valid only
  // during the call to `emit`.
  void Drain(int64_t window_start_us, int64_t window_end_us,
             const std::function<void(const format::AggregateRow&)>& emit);

  size_t keys() const { return entries_.size(); }
  uint64_t events() const { return events_; }  // counted in the open window
  Granularity granularity() const { return granularity_; }

 private:
  struct Entry {
    uint64_t events = 0;
    int64_t first_seen_us = 0;
    int64_t last_seen_us = 0;
    std::string sample;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  using Map = std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>>;

  // Writes the key of `fields` (one value per KeyField, indexed by it) at `granularity`.
  void BuildKey(const std::array<std::string_view, 7>& fields, Granularity granularity,
                std::string& out) const;
  // Marks the key `fields` make at granularity key, and at prefix, for the next window's
  // estimate; leaves the client's network (in prefix_) in place of its address in `fields`.
  void CountFinerKeys(std::array<std::string_view, 7>& fields);
  // Re-keys every entry one step coarser, merging those that fall together.
  void Coarsen();
  void Merge(Map& into, std::string&& key, Entry&& entry) const;
  // Marks `value` in a linear-counting bitmap.
  static void Mark(std::vector<uint64_t>& bitmap, std::string_view value);
  // The distinct values marked in `bitmap` (linear counting), or SIZE_MAX when saturated.
  static size_t Estimate(const std::vector<uint64_t>& bitmap);

  const Options options_;
  bool keyed_by_client_ = false;
  Granularity granularity_ = Granularity::kKey;
  Map entries_;
  uint64_t events_ = 0;
  std::string key_;             // scratch
  std::string prefix_;          // scratch: the client's network
  std::string scratch_;                     // scratch: keys for the estimate
  std::vector<uint64_t> seen_keys_;         // linear counting of this window's keys
  std::vector<uint64_t> seen_prefix_keys_;  // and of what they are with networks
};

}  // namespace sluice::pipeline
