#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "common/counters.h"
#include "format/batch.h"
#include "ingest/followed_chunk_queue.h"
#include "pipeline/aggregator.h"
#include "pipeline/event_builder.h"
#include "pipeline/flood_ladder.h"
#include "pipeline/log_line_builder.h"

namespace sluice::pipeline {

// Makes the one batch of a chunk of a followed file (ingest::FollowedChunk): the detail rows
// of its lines, the aggregates of the rejects the flood ladder chooses to aggregate (counted
// within the chunk, stamped with the ladder's open window) and the mark of where the chunk
// ends. One batch commits whole or not at all, so the mark says exactly which lines are in
// the database or the spool: after a crash, reading resumes there and no line is stored
// twice or lost. Lines are kept or ignored by ingest.keep as datagrams are; they are counted
// as `followed` (Exim rejectlog header lines are part of their entry, not counted).
// Not thread-safe: owned by the pipeline thread; `builder`, `ladder` and `counters` must
// outlive it.
class FollowedBatchMaker {
 public:
  FollowedBatchMaker(EventBuilder& builder, FloodLadder& ladder, Counters& counters,
                     Aggregator::Options aggregate, bool keep_all, size_t max_line_bytes);

  // The batch of `chunk`, with id `id`, made at `now_us` (wall clock).
  format::Batch Make(const ingest::FollowedChunk& chunk, uint64_t id, int64_t now_us);

 private:
  EventBuilder& builder_;
  FloodLadder& ladder_;
  Counters& counters_;
  const Aggregator::Options aggregate_;
  const bool keep_all_;
  const size_t max_line_bytes_;
  std::map<std::string, LogLineBuilder> files_;  // by source: each knows its Exim entry
};

}  // namespace sluice::pipeline
