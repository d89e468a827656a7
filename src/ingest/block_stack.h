#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace sluice::ingest {

// A lock-free LIFO stack of the indices 0..capacity-1 (a Treiber stack whose head carries a
// tag bumped by every change, so a pop never mistakes a head that was popped and pushed back
// in between for the one it read). Last in, first out is the point: the blocks used most
// recently are taken again, so a queue of many blocks keeps only the few a load needs in
// memory instead of cycling through (and touching) all of them.
// Thread-safe: Push and Pop from any threads; each index is on the stack at most once.
class BlockStack {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit BlockStack(size_t capacity)
      : next_(std::make_unique<std::atomic<uint32_t>[]>(capacity)) {}

  void Push(uint32_t index) {
    uint64_t head = head_.load(std::memory_order_relaxed);
    uint64_t pushed;
    do {
      next_[index].store(Index(head), std::memory_order_relaxed);
      pushed = Pack(Tag(head) + 1, index);
    } while (!head_.compare_exchange_weak(head, pushed, std::memory_order_release,
                                          std::memory_order_relaxed));
    size_.fetch_add(1, std::memory_order_relaxed);
  }

  // The index pushed last, or kNone when the stack is empty.
  uint32_t Pop() {
    uint64_t head = head_.load(std::memory_order_acquire);
    uint64_t popped;
    do {
      if (Index(head) == kNone) return kNone;
      popped = Pack(Tag(head) + 1, next_[Index(head)].load(std::memory_order_relaxed));
    } while (!head_.compare_exchange_weak(head, popped, std::memory_order_acquire,
                                          std::memory_order_acquire));
    size_.fetch_sub(1, std::memory_order_relaxed);
    return Index(head);
  }

  // Indices on the stack; approximate while others push and pop.
  size_t size_approx() const { return size_.load(std::memory_order_relaxed); }

 private:
  static uint64_t Pack(uint32_t tag, uint32_t index) { return uint64_t{tag} << 32 | index; }
  static uint32_t Tag(uint64_t head) { return static_cast<uint32_t>(head >> 32); }
  static uint32_t Index(uint64_t head) { return static_cast<uint32_t>(head); }

  std::atomic<uint64_t> head_{Pack(0, kNone)};
  std::atomic<size_t> size_{0};
  std::unique_ptr<std::atomic<uint32_t>[]> next_;
};

}  // namespace sluice::ingest
