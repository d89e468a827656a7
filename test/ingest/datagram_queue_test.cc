#include "ingest/datagram_queue.h"

#include <string>

#include <gtest/gtest.h>

namespace sluice::ingest {
namespace {

TEST(DatagramQueueTest, CapacityIsInBytes) {
  DatagramQueue queue(1 << 20, 256 << 10, 1);
  EXPECT_EQ(queue.block_count(), 4u);
  EXPECT_EQ(queue.block_bytes(), 256u << 10);
}

TEST(DatagramQueueTest, NoFreeBlockWhenAllAreFilledAndReleaseRecyclesThem) {
  DatagramQueue queue(2 * 4096, 4096, 1);
  DatagramQueue::Producer producer(queue);
  DatagramBlock* a = producer.TryAcquire();
  DatagramBlock* b = producer.TryAcquire();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(producer.TryAcquire(), nullptr);  // full: the caller sheds
  ASSERT_TRUE(a->Append("x", 1, 5, false));
  producer.Publish(a);
  DatagramBlock* taken = queue.TryFull();
  ASSERT_EQ(taken, a);
  EXPECT_EQ(queue.TryFull(), nullptr);
  queue.Release(taken);
  DatagramBlock* again = producer.TryAcquire();
  ASSERT_EQ(again, a);
  EXPECT_TRUE(again->empty());
}

TEST(DatagramBlockTest, KeepsDatagramsInOrderUntilFull) {
  DatagramBlock block(256, 0);
  std::string big(240, 'x');
  ASSERT_TRUE(block.Append("first", 5, 1, false));
  ASSERT_TRUE(block.Append("", 0, 2, true));
  EXPECT_FALSE(block.Append(big.data(), big.size(), 3, false));
  std::vector<Datagram> seen;
  block.ForEachDatagram([&](const Datagram& d) { seen.push_back(d); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].payload, "first");
  EXPECT_EQ(seen[0].received_at_us, 1);
  EXPECT_FALSE(seen[0].truncated);
  EXPECT_EQ(seen[1].payload, "");
  EXPECT_TRUE(seen[1].truncated);
}

TEST(DatagramQueueTest, WaitFullTimesOutWhenEmpty) {
  DatagramQueue queue(2 * 4096, 4096, 1);
  EXPECT_EQ(queue.WaitFull(std::chrono::microseconds(1000)), nullptr);
}

}  // namespace
}  // namespace sluice::ingest
