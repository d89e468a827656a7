#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/counters.h"
#include "common/heartbeat.h"
#include "common/mutex.h"
#include "format/batch.h"
#include "ingest/datagram_queue.h"
#include "ingest/followed_chunk_queue.h"
#include "pipeline/batcher.h"
#include "pipeline/event_builder.h"
#include "pipeline/flood_ladder.h"
#include "pipeline/followed_batch_maker.h"

namespace sluice::pipeline {

// The thread between the ingest queue and the sink: takes blocks of datagrams, builds rows,
// keeps those `keep_all` or
// is_reject asks for (malformed ones always; the rest are counted as ignored), lets the flood
// ladder (pipeline/flood_ladder.h) aggregate rejects under flood, batches the detail rows and
// submits each batch, and the ladder's summary batches. `submit` returns false when the sink
// has no room, leaving the batch as it was; the batch's events are then counted as shed
// (spool_full), never retried. Chunks of followed files (`followed`, if any) become one batch
// each (pipeline/followed_batch_maker.h), which is never shed: one the sink refuses is held
// and offered again every 200 ms, and no other chunk is taken meanwhile, so the follower
// waits and the file keeps the lines (logged once per episode, counted as follow_held).
// Batch deadlines and flood windows are on `clock`.
// Thread-safe: Stop() from any one thread. `queue`, `counters` and `clock` must outlive this.
class Pipeline {
 public:
  using Submit = std::function<bool(format::Batch&&)>;

  struct Options {
    size_t batch_rows = 5000;
    size_t batch_bytes = Batcher::kDefaultMaxBytes;
    std::chrono::milliseconds batch_ms{200};
    uint64_t batch_id_base = 0;
    bool keep_all = true;  // false: only rejects and malformed lines become rows
    std::string host;      // host of rows whose header names none (EventBuilder)
    size_t max_line_bytes =
        65536;  // followed files' lines are cut here (ingest.max_datagram_bytes)
    FloodLadder::Options flood;
  };

  // `room_for_detail`: whether the sink would take a batch of detail rows now (null: always).
  // `followed` (null: none) must outlive this.
  Pipeline(ingest::DatagramQueue& queue, Counters& counters, const Clock& clock,
           const Options& options, Submit submit, std::function<bool()> room_for_detail = nullptr,
           ingest::FollowedChunkQueue* followed = nullptr);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Beats each time the pipeline thread goes round its loop (at least every 50 ms while it
  // works): stale when it is blocked, say in a spool write to a disk that hangs.
  const Heartbeat& heartbeat() const { return heartbeat_; }

  // New flood thresholds (flood.enter_rate, ...; the mode stays), taken up by the pipeline
  // thread within one pass of its loop. For SIGHUP. Thread-safe.
  void SetFloodThresholds(const FloodDetector::Options& options) EXCLUDES(thresholds_mu_);

  // REQUIRES: every receiver and the file follower have stopped. Processes what is still
  // queued, submits the last batch and joins the thread (a followed chunk the sink refuses
  // then is dropped: no batch marks its lines, so they are read again at the next start).
  // Idempotent.
  void Stop();

 private:
  // A block read by the pipeline whose datagrams are not all stored yet (with an ingest ring):
  // it goes back to the queue, and is marked free in the ring, once every batch it fed is.
  struct HeldBlock {
    ingest::DatagramBlock* block;
    std::vector<uint64_t> batch_ids;
  };

  void Run();
  void Process(ingest::DatagramBlock& block);
  // Returns the held blocks whose batches are all settled; under ring pressure (half its
  // blocks held) closes the open detail batch and flood window early so theirs can be.
  void ReleaseSettledBlocks();
  // Submits a batch made of datagrams: marked from_ring when there is a ring, and settled in
  // it when the sink refuses it (its events are counted as shed, never stored later).
  bool SubmitDatagramBatch(format::Batch&& batch);
  // Offers the held followed batch again, or makes the next chunk's batch and offers it.
  // True if it did something.
  bool ProcessFollowed(bool stopping);

  ingest::DatagramQueue& queue_;
  ingest::IngestRing* const ring_;  // queue_'s, or null
  std::vector<HeldBlock> held_blocks_;
  Counters& counters_;
  const Clock& clock_;
  Submit submit_;
  const bool keep_all_;
  const std::string default_host_;
  EventBuilder builder_;
  Batcher batcher_;
  FloodLadder ladder_;
  ingest::FollowedChunkQueue* const followed_;
  FollowedBatchMaker followed_batches_;
  std::optional<format::Batch> held_;              // the followed batch being offered to the sink
  std::optional<Clock::TimePoint> held_retry_at_;  // once the sink refused it: when to retry
  std::function<bool()> room_for_detail_;
  std::atomic<bool> stopping_{false};
  Mutex thresholds_mu_;
  std::optional<FloodDetector::Options> new_thresholds_ GUARDED_BY(thresholds_mu_);
  std::atomic<bool> has_new_thresholds_{false};
  Heartbeat heartbeat_;
  std::thread thread_;  // last: started when everything above is ready
};

}  // namespace sluice::pipeline
