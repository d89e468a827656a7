#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "format/source_mark.h"

namespace sluice::format {

// The layout of a batch's streams. Spooled batches keep the format they were made with, so a
// spool written by an older sluice loads into the columns it was encoded for.
inline constexpr uint32_t kBatchFormatV2 = 2;  // events without reason_class; no summaries
inline constexpr uint32_t kBatchFormat = 3;    // events with reason_class; aggregates; shed

// A batch for the database: detail rows for sluice.events and, in a summary batch, aggregate
// rows for sluice.aggregates and shed rows for sluice.shed, each already encoded as one
// complete PostgreSQL binary COPY stream (header, tuples, trailer), so the spool and the
// writers move opaque bytes. All of a batch commits in one transaction with its ledger row.
// Value type; thread-compatible.
struct Batch {
  uint64_t id = 0;  // unique per instance; the ledger key with `instance_id`
  // The instance the batch is committed under in the ledger: the one whose spool segment it
  // was read from, "" for the writer's own (a batch made by this process).
  std::string instance_id;
  // This process sent the batch's COMMIT and never learned the outcome (the reply was lost,
  // the connection dropped at its deadline). Found in the ledger later, it is this process's
  // own commit, counted as stored, not as skipped.
  bool commit_in_doubt = false;
  uint32_t format = kBatchFormat;
  // When its oldest event was received (wall clock, µs since the epoch); 0 when not known (a
  // batch read back from a spool segment). In memory only, for the event-age metrics.
  int64_t oldest_event_us = 0;
  std::string copy_data;   // sluice.events tuples; empty or a COPY stream of `rows` tuples
  uint32_t rows = 0;       // tuples in copy_data
  uint32_t malformed = 0;  // of which malformed datagrams kept raw

  std::string aggregate_data;      // sluice.aggregates tuples, or empty
  uint32_t aggregate_rows = 0;     // tuples in aggregate_data
  uint64_t aggregated_events = 0;  // the events those rows count

  std::string shed_data;     // sluice.shed tuples, or empty
  uint32_t shed_rows = 0;    // tuples in shed_data
  uint64_t shed_events = 0;  // the events they record (counted as shed when they were dropped)

  // The followed files whose lines this batch completes, up to where (spool/spool.h keeps
  // them durable; a batch with marks is written to disk or refused, never kept only in memory).
  std::vector<SourceMark> marks;
  // Its rows come from datagrams kept in an ingest ring (ingest/ingest_ring.h): written to
  // disk or refused like a marked batch, and reported to the spool's append observer once
  // appended. In memory only.
  bool from_ring = false;

  // The events this batch brings into the database: detail rows plus aggregated events.
  uint64_t events() const { return rows + aggregated_events; }
  // Its encoded size in memory.
  size_t bytes() const { return copy_data.size() + aggregate_data.size() + shed_data.size(); }
};

}  // namespace sluice::format
