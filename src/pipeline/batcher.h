#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "format/batch.h"
#include "format/event_row.h"

namespace sluice::pipeline {

// Groups rows into Batches of `max_rows` rows, `max_bytes` of COPY data or `max_age`,
// whichever comes first, and hands each finished batch to `emit`. The byte cap keeps every
// batch within what the spool's records and the server take, however long the lines. Batch
// ids are `id_base + sequence`, unique for this instance.
// Not thread-safe: owned by the pipeline thread.
class Batcher {
 public:
  using Clock = std::chrono::steady_clock;
  using Emit = std::function<void(format::Batch&&)>;

  static constexpr size_t kDefaultMaxBytes = 32 << 20;

  Batcher(size_t max_rows, std::chrono::milliseconds max_age, uint64_t id_base, Emit emit,
          size_t max_bytes = kDefaultMaxBytes);

  // Encodes `row` into the open batch, opening one if needed; emits it when full. Returns
  // the id of the batch that holds the row.
  uint64_t Add(const format::EventRow& row, Clock::time_point now);
  // Emits the open batch if it is older than max_age.
  void Tick(Clock::time_point now);
  // Emits the open batch, if any.
  void Flush();
  // A batch id from the same sequence, for a batch made elsewhere (summary batches).
  uint64_t TakeId() { return next_id_++; }
  // Whether a batch is open (rows added, not yet emitted).
  bool has_open() const { return open_.has_value(); }
  // The open batch's id, or 0 if none is open.
  uint64_t open_id() const { return open_ ? open_->id : 0; }
  // When the open batch falls due, or nullopt if none is open.
  std::optional<Clock::time_point> deadline() const;

 private:
  size_t max_rows_;
  std::chrono::milliseconds max_age_;
  size_t max_bytes_;
  uint64_t next_id_;
  Emit emit_;
  std::optional<format::Batch> open_;
  Clock::time_point opened_at_;
};

}  // namespace sluice::pipeline
