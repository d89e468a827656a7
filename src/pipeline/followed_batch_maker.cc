#include "pipeline/followed_batch_maker.h"

#include <chrono>
#include <optional>

#include "format/copy_fields.h"
#include "format/summary_encoder.h"
#include "pipeline/batcher.h"
#include "pipeline/row_route.h"

namespace sluice::pipeline {

FollowedBatchMaker::FollowedBatchMaker(EventBuilder& builder, FloodLadder& ladder,
                                       Counters& counters, Aggregator::Options aggregate,
                                       bool keep_all, size_t max_line_bytes)
    : builder_(builder),
      ladder_(ladder),
      counters_(counters),
      aggregate_(std::move(aggregate)),
      keep_all_(keep_all),
      max_line_bytes_(max_line_bytes) {}

format::Batch FollowedBatchMaker::Make(const ingest::FollowedChunk& chunk, uint64_t id,
                                       int64_t now_us) {
  LogLineBuilder& rows = files_.try_emplace(chunk.source, builder_, max_line_bytes_).first->second;
  std::optional<format::Batch> details;
  // Never full before Flush(): the chunk's detail rows are one batch, the id given.
  Batcher batcher(
      chunk.lines.size() + 1, std::chrono::hours(24), id,
      [&details](format::Batch&& batch) { details = std::move(batch); }, SIZE_MAX);
  Aggregator aggregator(aggregate_);
  uint64_t events = 0;
  uint64_t ignored = 0;
  const auto now = Batcher::Clock::now();
  for (const std::string& line : chunk.lines) {
    std::optional<format::EventRow> row = rows.Build(line, chunk.read_at_us);
    if (!row) continue;
    ++events;
    switch (RouteOf(*row, keep_all_)) {
      case RowRoute::kFloodLadder:
        if (ladder_.WantsDetail()) {
          batcher.Add(*row, now);
        } else if (!aggregator.Add(*row)) {
          counters_.Shed(counters_.shed_aggregate_full, 1);
        }
        break;
      case RowRoute::kDetail:
        batcher.Add(*row, now);
        break;
      case RowRoute::kIgnore:
        ++ignored;
        break;
    }
  }
  batcher.Flush();
  format::Batch batch = details ? std::move(*details) : format::Batch{};
  batch.id = id;
  batch.oldest_event_us = chunk.read_at_us;
  aggregator.Drain(ladder_.window_start_us(), now_us, [&](const format::AggregateRow& row) {
    if (batch.aggregate_data.empty()) format::copy::PutHeader(batch.aggregate_data);
    format::SummaryEncoder::AppendAggregate(batch.aggregate_data, row, static_cast<int64_t>(id));
    ++batch.aggregate_rows;
    batch.aggregated_events += row.events;
  });
  if (!batch.aggregate_data.empty()) format::copy::PutTrailer(batch.aggregate_data);
  batch.marks.push_back(format::SourceMark{chunk.source, chunk.end});
  counters_.followed.fetch_add(events, std::memory_order_relaxed);
  counters_.ignored.fetch_add(ignored, std::memory_order_relaxed);
  return batch;
}

}  // namespace sluice::pipeline
