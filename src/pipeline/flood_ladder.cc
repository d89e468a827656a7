#include "pipeline/flood_ladder.h"

#include <string>
#include <utility>

#include "common/logging.h"
#include "format/copy_fields.h"
#include "format/summary_encoder.h"

namespace sluice::pipeline {
namespace {

constexpr std::chrono::milliseconds kSampleInterval{100};
constexpr std::chrono::seconds kRoomCheckInterval{1};

int64_t WindowEnd(int64_t wall_us, std::chrono::milliseconds window) {
  const int64_t length = std::chrono::duration_cast<std::chrono::microseconds>(window).count();
  return (wall_us / length + 1) * length;
}

std::string_view StepName(uint64_t step) {
  switch (step) {
    case 1:
      return "1 (detail rows)";
    case 2:
      return "2 (aggregating rejects, sampling details)";
    case 3:
      return "3 (aggregates only: the spool has no room for details)";
    case 4:
      return "4 (coarser aggregation keys)";
    default:
      return "5 (count only: no room for aggregates, events counted as shed)";
  }
}

}  // namespace

FloodLadder::FloodLadder(Options options, Counters& counters, const Clock& clock,
                         std::function<uint64_t()> next_id, Submit submit,
                         std::function<bool()> room_for_detail)
    : options_(std::move(options)),
      counters_(counters),
      clock_(clock),
      next_id_(std::move(next_id)),
      submit_(std::move(submit)),
      room_for_detail_(std::move(room_for_detail)),
      detector_(options_.detector),
      aggregator_(options_.aggregate),
      shed_(counters),
      window_batch_id_(next_id_()),
      window_start_us_(clock.WallMicros()),
      window_end_us_(WindowEnd(window_start_us_, options_.window)),
      shed_since_us_(window_start_us_) {
  PublishStep();
}

bool FloodLadder::aggregating() const {
  return options_.detector.mode != FloodMode::kNever && (detector_.in_flood() || details_blocked_);
}

bool FloodLadder::WantsDetail() {
  if (!aggregating()) return true;
  if (!details_blocked_ && options_.detail_sample > 0 &&
      ++since_sample_ >= options_.detail_sample) {
    since_sample_ = 0;
    return true;
  }
  return false;
}

bool FloodLadder::TakeReject(const format::EventRow& row, uint64_t* aggregated_into) {
  if (aggregated_into != nullptr) *aggregated_into = 0;
  if (WantsDetail()) return true;
  if (!aggregator_.Add(row)) {
    counters_.Shed(counters_.shed_aggregate_full, 1);
    count_only_ = true;
  } else if (aggregated_into != nullptr) {
    *aggregated_into = window_batch_id_;
  }
  if (aggregator_.granularity() != granularity_) PublishStep();
  return false;
}

void FloodLadder::DetailRefused() {
  if (details_blocked_) return;
  details_blocked_ = true;
  last_room_check_ = clock_.Now();
  PublishStep();
}

void FloodLadder::Tick() {
  Clock::TimePoint now = clock_.Now();
  if (now - last_sample_ < kSampleInterval) return;
  last_sample_ = now;
  bool was_flood = detector_.in_flood();
  const uint64_t events = counters_.received.load(std::memory_order_relaxed) +
                          counters_.followed.load(std::memory_order_relaxed);
  bool flood =
      detector_.Update(now, events, counters_.spool_events.load(std::memory_order_relaxed));
  if (flood != was_flood) {
    LogInfo(std::string(flood ? "flood: entered" : "flood: left") + " at " +
            std::to_string(static_cast<uint64_t>(detector_.rate())) + " events/s, backlog " +
            std::to_string(counters_.spool_events.load(std::memory_order_relaxed)) + " events");
    if (!flood) {
      Flush();  // the aggregates end where detail rows resume
      since_sample_ = 0;
    }
  }
  if (details_blocked_ && now - last_room_check_ >= kRoomCheckInterval) {
    last_room_check_ = now;
    if (!room_for_detail_ || room_for_detail_()) details_blocked_ = false;
  }
  if (clock_.WallMicros() >= window_end_us_) Flush();
  PublishStep();
}

format::Batch FloodLadder::NewSummaryBatch() {
  format::Batch batch;
  batch.id = std::exchange(window_batch_id_, 0);
  if (batch.id == 0) batch.id = next_id_();
  batch.oldest_event_us = window_start_us_;
  return batch;
}

void FloodLadder::SubmitSummary(format::Batch&& batch,
                                const std::vector<ShedReporter::Count>& shed) {
  if (!batch.aggregate_data.empty()) format::copy::PutTrailer(batch.aggregate_data);
  if (!batch.shed_data.empty()) format::copy::PutTrailer(batch.shed_data);
  uint64_t aggregated = batch.aggregated_events;
  if (submit_(std::move(batch))) {
    count_only_ = false;
    return;
  }
  counters_.Shed(counters_.shed_spool_full, aggregated);
  shed_.GiveBack(shed);
  count_only_ = true;
}

void FloodLadder::Flush() {
  const int64_t wall_us = clock_.WallMicros();
  std::vector<ShedReporter::Count> shed = shed_.Take();
  if (aggregator_.keys() > 0 || !shed.empty()) {
    format::Batch batch = NewSummaryBatch();
    aggregator_.Drain(window_start_us_, wall_us, [&](const format::AggregateRow& row) {
      if (options_.summary_rows > 0 && batch.aggregate_rows >= options_.summary_rows) {
        SubmitSummary(std::move(batch), {});
        batch = NewSummaryBatch();
      }
      if (batch.aggregate_data.empty()) format::copy::PutHeader(batch.aggregate_data);
      format::SummaryEncoder::AppendAggregate(batch.aggregate_data, row,
                                              static_cast<int64_t>(batch.id));
      ++batch.aggregate_rows;
      batch.aggregated_events += row.events;
    });
    for (const ShedReporter::Count& count : shed) {
      if (batch.shed_data.empty()) format::copy::PutHeader(batch.shed_data);
      format::ShedRow row;
      row.window_start_us = shed_since_us_;
      row.window_end_us = wall_us;
      row.host = options_.host;
      row.cause = count.cause;
      row.events = count.events;
      format::SummaryEncoder::AppendShed(batch.shed_data, row, static_cast<int64_t>(batch.id));
      ++batch.shed_rows;
      batch.shed_events += count.events;
    }
    SubmitSummary(std::move(batch), shed);
    shed_since_us_ = wall_us;
  }
  if (window_batch_id_ == 0) window_batch_id_ = next_id_();  // this window's was used
  window_start_us_ = wall_us;
  window_end_us_ = WindowEnd(wall_us, options_.window);
  PublishStep();
}

void FloodLadder::PublishStep() {
  const bool flood = detector_.in_flood();
  const Granularity granularity = aggregator_.granularity();
  uint64_t step = 1;
  if (aggregating()) step = 2;
  if (aggregating() && details_blocked_) step = 3;
  if (aggregating() && granularity != Granularity::kKey) step = 4;
  if (count_only_) step = 5;
  if (granularity != granularity_) {
    LogInfo("flood: aggregation keys now at granularity '" +
            std::string(GranularityName(granularity)) + "' (flood.max_keys " +
            std::to_string(options_.aggregate.max_keys) + ")");
    granularity_ = granularity;
  }
  if (step != step_) {
    LogInfo("flood: ladder step " + std::string(StepName(step)) + " entered, step " +
            std::string(StepName(step_)) + " left");
    step_ = step;
  }
  counters_.ladder_step.store(step, std::memory_order_relaxed);
  counters_.flood.store(flood ? 1 : 0, std::memory_order_relaxed);
  counters_.granularity.store(static_cast<uint64_t>(granularity), std::memory_order_relaxed);
}

}  // namespace sluice::pipeline
