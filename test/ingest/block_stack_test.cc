#include "ingest/block_stack.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ingest/datagram_queue.h"

namespace sluice::ingest {
namespace {

TEST(BlockStackTest, LastInFirstOut) {
  BlockStack stack(4);
  EXPECT_EQ(stack.Pop(), BlockStack::kNone);
  stack.Push(2);
  stack.Push(0);
  stack.Push(3);
  EXPECT_EQ(stack.size_approx(), 3u);
  EXPECT_EQ(stack.Pop(), 3u);
  stack.Push(1);
  EXPECT_EQ(stack.Pop(), 1u);
  EXPECT_EQ(stack.Pop(), 0u);
  EXPECT_EQ(stack.Pop(), 2u);
  EXPECT_EQ(stack.Pop(), BlockStack::kNone);
  EXPECT_EQ(stack.size_approx(), 0u);
}

// Threads popping and pushing back as fast as they can: no index is ever held by two threads
// at once (a pop that mistook a recycled head would hand one out twice), none is lost.
TEST(BlockStackTest, ConcurrentPopsAndPushesHandEachIndexToOneThreadAtATime) {
  constexpr uint32_t kIndices = 8;
  BlockStack stack(kIndices);
  for (uint32_t i = 0; i < kIndices; ++i) stack.Push(i);
  std::vector<std::atomic<int>> holders(kIndices);
  std::atomic<bool> twice{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 100'000; ++round) {
        uint32_t index = stack.Pop();
        if (index == BlockStack::kNone) continue;
        if (holders[index].fetch_add(1) != 0) twice = true;
        holders[index].fetch_sub(1);
        stack.Push(index);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(twice.load());
  std::vector<bool> seen(kIndices, false);
  for (uint32_t index; (index = stack.Pop()) != BlockStack::kNone;) {
    ASSERT_FALSE(seen[index]) << index;
    seen[index] = true;
  }
  for (uint32_t i = 0; i < kIndices; ++i) EXPECT_TRUE(seen[i]) << i;
}

// The queue hands out the block released last: a light load keeps reusing one block, so the
// others are never touched (and never resident).
TEST(BlockStackTest, TheQueueReusesTheBlockReleasedLast) {
  DatagramQueue queue(64 * 4096, 4096, 1);
  DatagramQueue::Producer producer(queue);
  DatagramBlock* first = producer.TryAcquire();
  ASSERT_NE(first, nullptr);
  for (int i = 0; i < 100; ++i) {
    DatagramBlock* block = i == 0 ? first : producer.TryAcquire();
    ASSERT_EQ(block, first) << "round " << i;
    ASSERT_TRUE(block->Append("x", 1, 5, false));
    producer.Publish(block);
    queue.Release(queue.TryFull());
  }
  EXPECT_EQ(queue.BlocksInUse(), 0u);
}

}  // namespace
}  // namespace sluice::ingest
