#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>

#include "ingest/block_stack.h"
#include "ingest/datagram_block.h"
#include "ingest/ingest_ring.h"

namespace sluice::ingest {

// The hand-over between receivers and the pipeline, bounded in bytes: a fixed set of
// DatagramBlocks, allocated once (their memory untouched until used), circulates between a
// free stack (last in, first out: ingest/block_stack.h, so a light load keeps reusing the
// same few blocks and only those are resident) and a full list (a moodycamel queue).
// Receivers never block and never allocate: when no free block is left, TryAcquire() fails
// and the caller counts the datagrams as shed.
// Thread-safe: receivers call TryAcquire/Publish with their own Producer, the pipeline calls
// WaitFull/Release.
class DatagramQueue {
 public:
  // Per-receiver handle; enqueueing through it never allocates. Owned by one receiver thread.
  class Producer {
   public:
    explicit Producer(DatagramQueue& queue) : queue_(queue), token_(queue.full_) {}

    // A cleared block to fill, or nullptr when every block is in use (the queue is full).
    DatagramBlock* TryAcquire() {
      uint32_t index = queue_.free_.Pop();
      if (index == BlockStack::kNone) return nullptr;
      DatagramBlock* block = queue_.blocks_[index].get();
      if (queue_.ring_ != nullptr) block->BeginFill(queue_.ring_->NextFillSeq());
      return block;
    }
    // Hands a filled block to the pipeline. Never blocks; cannot fail, because the full list
    // was preallocated for every block there is.
    void Publish(DatagramBlock* block) {
      bool ok = queue_.full_.try_enqueue(token_, block);
      if (!ok) std::abort();  // impossible: capacity covers every block
    }

   private:
    DatagramQueue& queue_;
    moodycamel::ProducerToken token_;
  };

  // `capacity_bytes` of memory in blocks of `block_bytes` (at least two blocks), shared by at
  // most `max_producers` receivers.
  DatagramQueue(size_t capacity_bytes, size_t block_bytes, size_t max_producers);
  // The same with the blocks in `ring` (which must outlive this); the blocks it recovered
  // from a previous run are queued first, before anything received.
  DatagramQueue(IngestRing& ring, size_t max_producers);

  // The oldest filled block, waiting at most `timeout`; nullptr on timeout.
  DatagramBlock* WaitFull(std::chrono::microseconds timeout);
  // Non-blocking WaitFull.
  DatagramBlock* TryFull();
  // Returns a block the pipeline has finished reading.
  void Release(DatagramBlock* block);

  size_t block_count() const { return blocks_.size(); }
  // Blocks not on the free list now (being filled, waiting, or being read); approximate while
  // receivers and the pipeline run.
  size_t BlocksInUse() const {
    return blocks_.size() - std::min(blocks_.size(), free_.size_approx());
  }
  size_t block_bytes() const { return block_bytes_; }
  IngestRing* ring() const { return ring_; }

 private:
  size_t block_bytes_;
  IngestRing* ring_ = nullptr;
  std::vector<std::unique_ptr<DatagramBlock>> blocks_;  // a block's index is its place here
  BlockStack free_;
  moodycamel::BlockingConcurrentQueue<DatagramBlock*> full_;
};

}  // namespace sluice::ingest
