#include "sink/batch_accounting.h"

#include <algorithm>
#include <chrono>

#include "common/clock.h"
#include "common/logging.h"

namespace sluice::sink {
namespace {

// Adds a committed batch's aggregate and shed rows to `counters`, the batch itself, and the
// age of its oldest event when known.
void CountCommitted(const format::Batch& batch, Counters& counters) {
  counters.aggregated.fetch_add(batch.aggregated_events, std::memory_order_relaxed);
  counters.aggregate_rows.fetch_add(batch.aggregate_rows, std::memory_order_relaxed);
  counters.shed_rows.fetch_add(batch.shed_rows, std::memory_order_relaxed);
  counters.batches_committed.fetch_add(1, std::memory_order_relaxed);
  if (batch.oldest_event_us > 0) {
    int64_t age_us = std::max<int64_t>(0, WallMicros() - batch.oldest_event_us);
    counters.event_age_seconds.Observe(static_cast<double>(age_us) / 1e6);
  }
}

}  // namespace

Status WriteCounted(BatchWriter& writer, std::vector<format::Batch>& batches, Counters& counters,
                    const std::string& who) {
  const auto started = std::chrono::steady_clock::now();
  auto outcomes = writer.Write(batches);
  if (outcomes) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    counters.commit_seconds.Observe(took.count());
  }
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected && batches.size() > 1) {
    // One of them is refused for its content: find which, writing one batch at a time.
    for (format::Batch& batch : batches) {
      std::vector<format::Batch> single;
      single.push_back(std::move(batch));
      Status status = WriteCounted(writer, single, counters, who);
      batch = std::move(single.front());
      if (!status) return status;  // retryable; batches already committed are skipped later
    }
    return Ok();
  }
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected) {
    const format::Batch& batch = batches.front();
    LogWarn(who + ": batch " + std::to_string(batch.id) + " refused by the database (" +
            outcomes.error().message() + "); looking for the refused rows");
    counters.db_errors.fetch_add(1, std::memory_order_relaxed);
    auto isolated = writer.WriteSettingAsideRefusedRows(batch);
    if (!isolated) return tl::unexpected(isolated.error());
    if (isolated->outcome == WriteOutcome::kAlreadyCommitted && !batch.commit_in_doubt) {
      counters.batches_skipped.fetch_add(1, std::memory_order_relaxed);
      return Ok();
    }
    uint32_t set_aside = isolated->dead_lettered + isolated->lost;
    uint32_t malformed = batch.malformed - std::min(batch.malformed, isolated->malformed_set_aside);
    counters.stored.fetch_add(batch.rows - set_aside - malformed, std::memory_order_relaxed);
    counters.malformed.fetch_add(malformed, std::memory_order_relaxed);
    counters.dead_lettered.fetch_add(isolated->dead_lettered, std::memory_order_relaxed);
    counters.Shed(counters.shed_rejected, isolated->lost);
    if (isolated->outcome == WriteOutcome::kCommitted) {
      CountCommitted(batch, counters);
    } else {
      counters.Shed(counters.shed_rejected, batch.aggregated_events);
    }
    return Ok();
  }
  if (!outcomes) return tl::unexpected(outcomes.error());
  for (size_t i = 0; i < batches.size(); ++i) {
    // Found in the ledger: committed before, by another run (skipped), or by this one when the
    // outcome of its COMMIT was lost (counted now, as it was not then).
    if ((*outcomes)[i] != WriteOutcome::kCommitted && !batches[i].commit_in_doubt) {
      counters.batches_skipped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    counters.stored.fetch_add(batches[i].rows - batches[i].malformed, std::memory_order_relaxed);
    counters.malformed.fetch_add(batches[i].malformed, std::memory_order_relaxed);
    CountCommitted(batches[i], counters);
  }
  return Ok();
}

}  // namespace sluice::sink
