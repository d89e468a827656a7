#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "format/event_row.h"
#include "format/summary_encoder.h"
#include "pipeline/aggregation_key.h"
#include "pipeline/distinct_counter.h"

namespace sluice::pipeline {

// Counts reject events per key for one window at a time, in at most `max_keys` keys, with one
// sample line per key (about 450 bytes a key in all). When even reason-class keys are full, an
// event is refused (the caller counts it as shed, "aggregate_full"). A window starts at the
// granularity the last one ended with, or finer when the distinct keys the last window would have
// had at the finer level (estimated by linear counting) would have fitted. Memory: about max_keys ×
// (key + sample ≤ 512 bytes + 100). Not thread-safe: owned by the pipeline thread.
class Aggregator {
 public:
  struct Options {
    std::vector<KeyField> key{KeyField::kClientIp, KeyField::kReasonClass, KeyField::kRbl,
                              KeyField::kHost};
    size_t max_keys = 20'000;
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
  // A window of at least this many keys gives its memory back to the system when drained.
  static constexpr size_t kLargeWindowKeys = 4096;
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

  // Marks the key `fields` make at granularity key, and at prefix, for the next window's
  // estimate; leaves the client's network (in prefix_) in place of its address in `fields`.
  void CountFinerKeys(KeyFields& fields);
  // Re-keys every entry one step coarser, merging those that fall together.
  void Coarsen();
  static void Merge(Map& into, std::string&& key, Entry&& entry);

  const Options options_;
  bool keyed_by_client_ = false;
  Granularity granularity_ = Granularity::kKey;
  Map entries_;
  uint64_t events_ = 0;
  std::string key_;                   // scratch
  std::string prefix_;                // scratch: the client's network
  std::string scratch_;               // scratch: keys for the estimate
  DistinctCounter seen_keys_;         // this window's keys at granularity key
  DistinctCounter seen_prefix_keys_;  // and what they are with networks
};

}  // namespace sluice::pipeline
