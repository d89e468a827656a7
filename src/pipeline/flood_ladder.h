#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/counters.h"
#include "format/batch.h"
#include "format/event_row.h"
#include "pipeline/aggregator.h"
#include "pipeline/flood_detector.h"
#include "pipeline/shed_reporter.h"

namespace sluice::pipeline {

// The degradation ladder of docs/ARCHITECTURE.md, for the pipeline thread:
//   1 detail        every reject becomes a row of sluice.events
//   2 aggregating   under flood (FloodDetector), rejects are counted per key per window in
//                   sluice.aggregates; 1 in `detail_sample` is still stored as a detail row
//                   (and only there: an event is a detail row or in an aggregate, never both)
//   3 aggregates only: the spool refused a batch of details; every reject is aggregated until
//                   the spool has room for details again
//   4 coarser keys  the window's keys reached flood.max_keys (Aggregator granularity)
//   5 count only    a summary batch found no room either, or no key was left: events are only
//                   counted, as shed, and the counts persisted in sluice.shed once room returns
// Every window (flood.window) the aggregates and the shed counts since the last window are
// emitted as summary batches through `submit`. Each step is logged when entered and left and
// published in the counters (ladder_step, flood, granularity).
// Windows are stamped and timed by `clock`. Not thread-safe: owned by the pipeline thread.
// `counters` and `clock` must outlive this.
class FloodLadder {
 public:
  using Submit = std::function<bool(format::Batch&&)>;

  struct Options {
    FloodDetector::Options detector;
    Aggregator::Options aggregate;
    std::chrono::milliseconds window{10'000};
    uint32_t detail_sample = 100;  // 0: no detail rows while aggregating
    size_t summary_rows = 5000;    // aggregate rows per summary batch at most (0: no limit)
    std::string host;              // written in sluice.shed rows: the machine sluiced is on
  };

  // `next_id` gives batch ids (shared with the detail batches); `submit` keeps a batch or
  // returns false; `room_for_detail` says whether the spool would take details again.
  FloodLadder(Options options, Counters& counters, const Clock& clock,
              std::function<uint64_t()> next_id, Submit submit,
              std::function<bool()> room_for_detail);

  // For a well-formed reject: true when it should be stored as a detail row, false when it
  // was counted here instead (aggregated, or shed as aggregate_full).
  // `aggregated_into` (if given) is set to the id of the summary batch that will hold it when
  // it was aggregated, and to 0 otherwise.
  bool TakeReject(const format::EventRow& row, uint64_t* aggregated_into = nullptr);
  // The same choice for a well-formed reject of a followed file, whose aggregates are counted
  // within its own batch (pipeline/followed_batch_maker.h): true for a detail row, false to
  // aggregate it.
  bool WantsDetail();
  // When the open window began (wall µs): followed files' aggregates are stamped with it.
  int64_t window_start_us() const { return window_start_us_; }
  // The spool refused a batch of details (its rows are already counted as shed).
  void DetailRefused();
  // Samples the ingest rate and backlog, re-checks the spool's room and closes the window
  // when it is due. Cheap; call on every pass of the pipeline loop.
  void Tick();
  // New flood thresholds (flood.enter_rate, ...; not the mode), from the next Tick() on.
  void SetThresholds(const FloodDetector::Options& options) { detector_.SetThresholds(options); }
  // Emits everything counted so far as summary batches and starts a new window now.
  void Flush();

  bool aggregating() const;
  // The summary batch the open window's aggregated rejects will be in (what TakeReject gives
  // as `aggregated_into`); 0 between windows.
  uint64_t window_batch_id() const { return window_batch_id_; }

 private:
  // Starts a summary batch: a new id, empty COPY streams with their headers.
  format::Batch NewSummaryBatch();
  // Ends the streams of `batch` and submits it; if it is refused, its aggregated events are
  // shed (spool_full) and `shed` is given back to be reported again.
  void SubmitSummary(format::Batch&& batch, const std::vector<ShedReporter::Count>& shed);
  // Logs the steps entered and left since the last call and publishes them in the counters.
  void PublishStep();

  const Options options_;
  Counters& counters_;
  const Clock& clock_;
  std::function<uint64_t()> next_id_;
  Submit submit_;
  std::function<bool()> room_for_detail_;
  FloodDetector detector_;
  Aggregator aggregator_;
  ShedReporter shed_;

  uint64_t window_batch_id_;  // the open window's (first) summary batch, taken when it opened
  int64_t window_start_us_;   // the open window, wall clock
  int64_t window_end_us_;
  int64_t shed_since_us_;  // the end of the last shed report
  uint32_t since_sample_ = 0;
  bool details_blocked_ = false;
  bool count_only_ = false;
  Granularity granularity_ = Granularity::kKey;
  uint64_t step_ = 1;
  Clock::TimePoint last_sample_{};
  Clock::TimePoint last_room_check_{};
};

}  // namespace sluice::pipeline
