#include "ingest/datagram_queue.h"

#include <algorithm>

namespace sluice::ingest {
namespace {

// moodycamel's preallocation formula for explicit producers: every producer may hold up to
// `count` elements in its own blocks.
size_t PreallocatedCapacity(size_t count, size_t producers) {
  constexpr size_t kBlock = moodycamel::ConcurrentQueueDefaultTraits::BLOCK_SIZE;
  return ((count + kBlock - 1) / kBlock + 1) * producers * kBlock;
}

}  // namespace

DatagramQueue::DatagramQueue(size_t capacity_bytes, size_t block_bytes, size_t max_producers)
    : block_bytes_(block_bytes),
      free_(std::max<size_t>(2, capacity_bytes / block_bytes)),
      full_(
          PreallocatedCapacity(std::max<size_t>(2, capacity_bytes / block_bytes), max_producers)) {
  size_t count = std::max<size_t>(2, capacity_bytes / block_bytes);
  blocks_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    blocks_.push_back(std::make_unique<DatagramBlock>(block_bytes, static_cast<uint32_t>(i)));
  }
  for (size_t i = count; i-- > 0;) free_.Push(static_cast<uint32_t>(i));  // block 0 on top
}

DatagramQueue::DatagramQueue(IngestRing& ring, size_t max_producers)
    : block_bytes_(ring.block_bytes()),
      ring_(&ring),
      free_(ring.block_count()),
      full_(PreallocatedCapacity(ring.block_count(), max_producers)) {
  const uint32_t count = ring.block_count();
  blocks_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    blocks_.push_back(std::make_unique<DatagramBlock>(ring.BlockData(i), ring.block_bytes(), i,
                                                      ring.BlockHeader(i)));
  }
  std::vector<bool> replaying(count, false);
  for (uint32_t index : ring.replay_blocks()) {
    replaying[index] = true;
    blocks_[index]->AdoptRingFill();
    if (!full_.enqueue(blocks_[index].get())) std::abort();
  }
  for (uint32_t i = count; i-- > 0;) {
    if (!replaying[i]) free_.Push(i);
  }
}

DatagramBlock* DatagramQueue::WaitFull(std::chrono::microseconds timeout) {
  DatagramBlock* block = nullptr;
  return full_.wait_dequeue_timed(block, timeout) ? block : nullptr;
}

DatagramBlock* DatagramQueue::TryFull() {
  DatagramBlock* block = nullptr;
  return full_.try_dequeue(block) ? block : nullptr;
}

void DatagramQueue::Release(DatagramBlock* block) {
  block->Clear();
  free_.Push(block->index());
}

}  // namespace sluice::ingest
