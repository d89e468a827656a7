#include "pipeline/pipeline.h"

#include <algorithm>
#include <cstring>

#include "common/logging.h"
#include "common/thread_name.h"
#include "pipeline/row_route.h"

namespace sluice::pipeline {
namespace {

constexpr std::chrono::milliseconds kIdleWait{50};
constexpr std::chrono::milliseconds kHeldRetry{200};

// With an ingest ring, a window's aggregates are one summary batch, so that one settled batch
// id says every datagram aggregated in the window is stored.
FloodLadder::Options LadderOptions(FloodLadder::Options options, bool ring) {
  if (ring) options.summary_rows = 0;
  return options;
}

}  // namespace

Pipeline::Pipeline(ingest::DatagramQueue& queue, Counters& counters, const Clock& clock,
                   const Options& options, Submit submit, std::function<bool()> room_for_detail,
                   ingest::FollowedChunkQueue* followed)
    : queue_(queue),
      ring_(queue.ring()),
      counters_(counters),
      clock_(clock),
      submit_(std::move(submit)),
      keep_all_(options.keep_all),
      default_host_(options.host),
      batcher_(
          options.batch_rows, options.batch_ms, options.batch_id_base,
          [this](format::Batch&& batch) {
            uint32_t rows = batch.rows;
            if (SubmitDatagramBatch(std::move(batch))) return;
            counters_.Shed(counters_.shed_spool_full, rows);
            ladder_.DetailRefused();
          },
          options.batch_bytes),
      ladder_(
          LadderOptions(options.flood, ring_ != nullptr), counters, clock,
          [this] { return batcher_.TakeId(); },
          [this](format::Batch&& batch) { return SubmitDatagramBatch(std::move(batch)); },
          room_for_detail),
      followed_(followed),
      followed_batches_(builder_, ladder_, counters, options.flood.aggregate, options.keep_all,
                        options.max_line_bytes),
      room_for_detail_(std::move(room_for_detail)),
      heartbeat_(clock),
      thread_([this] { Run(); }) {}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::Stop() {
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void Pipeline::SetFloodThresholds(const FloodDetector::Options& options) {
  MutexLock lock(thresholds_mu_);
  new_thresholds_ = options;
  has_new_thresholds_.store(true, std::memory_order_release);
}

void Pipeline::Run() {
  SetCurrentThreadName("sluice-pipe");
  builder_.SetNow(clock_.WallMicros());
  builder_.SetDefaultHost(default_host_);
  Clock::TimePoint last_clock_refresh = clock_.Now();
  while (true) {
    // Read the flag before the last dequeue, so nothing published before Stop() is missed.
    heartbeat_.Beat();
    if (has_new_thresholds_.exchange(false, std::memory_order_acquire)) {
      MutexLock lock(thresholds_mu_);
      ladder_.SetThresholds(*new_thresholds_);
    }
    bool stopping = stopping_.load(std::memory_order_acquire);
    Clock::TimePoint now = clock_.Now();
    if (now - last_clock_refresh >= std::chrono::seconds(1)) {
      builder_.SetNow(clock_.WallMicros());
      last_clock_refresh = now;
    }
    auto wait = std::chrono::duration_cast<std::chrono::microseconds>(kIdleWait);
    if (auto deadline = batcher_.deadline()) {
      wait = std::clamp(std::chrono::duration_cast<std::chrono::microseconds>(*deadline - now),
                        std::chrono::microseconds(0), wait);
    }
    if (followed_ != nullptr && ProcessFollowed(stopping)) wait = std::chrono::microseconds(0);
    ingest::DatagramBlock* block = stopping ? queue_.TryFull() : queue_.WaitFull(wait);
    if (block != nullptr) {
      Process(*block);
    } else if (stopping && (followed_ == nullptr || !ProcessFollowed(true))) {
      break;
    }
    batcher_.Tick(clock_.Now());
    ladder_.Tick();
    if (!held_blocks_.empty()) ReleaseSettledBlocks();
  }
  batcher_.Flush();
  ladder_.Flush();
  if (!held_blocks_.empty()) ReleaseSettledBlocks();
}

bool Pipeline::SubmitDatagramBatch(format::Batch&& batch) {
  if (ring_ == nullptr) return submit_(std::move(batch));
  batch.from_ring = true;
  const uint64_t id = batch.id;
  if (submit_(std::move(batch))) return true;  // the spool settled it as it appended it
  ring_->Settle(id);
  return false;
}

void Pipeline::ReleaseSettledBlocks() {
  std::erase_if(held_blocks_, [this](const HeldBlock& held) {
    for (uint64_t id : held.batch_ids) {
      if (!ring_->IsSettled(id)) return false;
    }
    queue_.Release(held.block);
    return true;
  });
  if (held_blocks_.size() * 2 < ring_->block_count()) return;
  // Half the ring waits. What holds it may be the batch or the window still being filled:
  // close that one early. Blocks waiting on batches already submitted need no flush.
  const uint64_t open_batch = batcher_.open_id();
  const uint64_t open_window = ladder_.window_batch_id();
  bool batch_holds = false;
  bool window_holds = false;
  for (const HeldBlock& held : held_blocks_) {
    for (uint64_t id : held.batch_ids) {
      batch_holds = batch_holds || (open_batch != 0 && id == open_batch);
      window_holds = window_holds || (open_window != 0 && id == open_window);
    }
  }
  if (!batch_holds && !window_holds) return;
  counters_.ring_early_flushes.fetch_add(1, std::memory_order_relaxed);
  if (batch_holds) batcher_.Flush();
  if (window_holds) ladder_.Flush();
}

bool Pipeline::ProcessFollowed(bool stopping) {
  if (!held_) {
    if (!stopping && room_for_detail_ && !room_for_detail_()) return false;
    std::optional<ingest::FollowedChunk> chunk = followed_->TryPop();
    if (!chunk) return false;
    held_ = followed_batches_.Make(*chunk, batcher_.TakeId(), clock_.WallMicros());
  } else if (!stopping && clock_.Now() < *held_retry_at_) {
    return false;
  }
  const bool refused_before = held_retry_at_.has_value();
  if (submit_(std::move(*held_))) {
    held_.reset();
    held_retry_at_.reset();
    if (refused_before) LogInfo("follow: the spool takes followed lines again; reading goes on");
    return true;
  }
  counters_.follow_held.fetch_add(1, std::memory_order_relaxed);
  if (stopping) {  // not marked as read: read again at the next start
    held_.reset();
    held_retry_at_.reset();
    return false;
  }
  if (!refused_before) {
    LogWarn("follow: the spool has no room for a batch of " + held_->marks.front().source +
            "; it is held and offered again, and the files are not read further until the "
            "spool takes it (nothing is shed: the lines stay in the file)");
  }
  held_retry_at_ = clock_.Now() + kHeldRetry;
  return false;
}

void Pipeline::Process(ingest::DatagramBlock& block) {
  Clock::TimePoint now = clock_.Now();
  uint64_t ignored = 0;
  std::vector<uint64_t> batch_ids;  // those the block's datagrams went into (with a ring)
  block.ForEach([&](const ingest::Datagram& datagram, uint64_t* record_batch_id) {
    format::EventRow row = builder_.Build(datagram);
    uint64_t batch_id = ingest::kRecordSettled;
    switch (RouteOf(row, keep_all_)) {
      case RowRoute::kFloodLadder: {
        uint64_t aggregated_into = 0;
        if (ladder_.TakeReject(row, &aggregated_into)) {
          batch_id = batcher_.Add(row, now);
        } else if (aggregated_into != 0) {
          batch_id = aggregated_into;
        }
        break;
      }
      case RowRoute::kDetail:
        batch_id = batcher_.Add(row, now);
        break;
      case RowRoute::kIgnore:
        ++ignored;
        break;
    }
    if (ring_ == nullptr) return;
    std::memcpy(record_batch_id, &batch_id, sizeof batch_id);
    if (batch_id != ingest::kRecordSettled &&
        std::find(batch_ids.begin(), batch_ids.end(), batch_id) == batch_ids.end()) {
      batch_ids.push_back(batch_id);
    }
  });
  if (ignored > 0) counters_.ignored.fetch_add(ignored, std::memory_order_relaxed);
  if (ring_ == nullptr || batch_ids.empty()) {
    queue_.Release(&block);
  } else {
    held_blocks_.push_back(HeldBlock{&block, std::move(batch_ids)});
  }
}

}  // namespace sluice::pipeline
