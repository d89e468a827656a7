#include "ingest/ingest_ring.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/unique_fd.h"
#include "ingest/datagram_queue.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::ingest {
namespace {

constexpr size_t kBlockBytes = 4096;
constexpr uint32_t kBlocks = 4;
constexpr size_t kSlotBytes = 512;

bool OnTmpfs(const std::string& dir) {
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

// Writes `batch_id` into each record of `block` in turn (the pipeline's part).
void Route(DatagramBlock& block, const std::vector<uint64_t>& batch_ids) {
  size_t i = 0;
  block.ForEach([&](const Datagram&, uint64_t* record_batch_id) {
    uint64_t id = batch_ids.at(i++);
    std::memcpy(record_batch_id, &id, sizeof id);
  });
}

std::vector<std::string> Drain(DatagramQueue& queue) {
  std::vector<std::string> out;
  while (DatagramBlock* block = queue.TryFull()) {
    block->ForEachDatagram([&](const Datagram& d) { out.emplace_back(d.payload); });
    queue.Release(block);
  }
  return out;
}

class IngestRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!OnTmpfs("/dev/shm")) GTEST_SKIP() << "no tmpfs at /dev/shm";
  }

  // In these tests the spool holds batch 42.
  Result<std::unique_ptr<IngestRing>> Open(IngestRing::Recovery* found) {
    return IngestRing::Open(
        path_, {kBlockBytes, kBlocks, 1, kSlotBytes}, [](uint64_t id) { return id == 42; }, found);
  }

  // A run that dies (nothing cleared): block 1 was read by the pipeline, which routed its
  // five datagrams (ignored; into batch 41, settled; 42, in the spool; 43, still open; one
  // not yet routed); block 2 is still being filled by the receiver.
  void CrashedRun() {
    IngestRing::Recovery found;
    auto ring = Open(&found);
    ASSERT_TRUE(ring) << ring.error().message();
    DatagramQueue queue(**ring, 1);
    DatagramQueue::Producer producer(queue);
    DatagramBlock* read = producer.TryAcquire();
    for (const char* text : {"ignored", "settled", "spooled", "open batch", "not routed"}) {
      ASSERT_TRUE(read->Append(text, std::strlen(text), 7, false));
    }
    producer.Publish(read);
    ASSERT_EQ(queue.TryFull(), read);
    Route(*read, {kRecordSettled, 41, 42, 43, 0});
    (*ring)->Settle(41);
    DatagramBlock* filling = producer.TryAcquire();
    ASSERT_TRUE(filling->Append("being filled 1", 14, 8, false));
    ASSERT_TRUE(filling->Append("being filled 2", 14, 9, true));
  }

  testing::TempDir dir_{"/dev/shm"};
  std::string path_ = dir_.File("ingest.ring");
};

TEST_F(IngestRingTest, AFreshRingHasNothingToReplay) {
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring) << ring.error().message();
  EXPECT_EQ(found.blocks, 0u);
  EXPECT_TRUE((*ring)->replay_blocks().empty());
  DatagramQueue queue(**ring, 1);
  EXPECT_EQ(queue.TryFull(), nullptr);
  EXPECT_EQ(queue.block_count(), kBlocks);
}

TEST_F(IngestRingTest, AfterACrashWhatWasNotStoredIsQueuedFirstInOrder) {
  CrashedRun();
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring) << ring.error().message();
  EXPECT_EQ(found.blocks, 2u);
  EXPECT_EQ(found.replayed, 4u);
  EXPECT_EQ(found.already_stored, 2u);  // 41 settled, 42 in the spool
  EXPECT_EQ(found.settled, 1u);
  EXPECT_EQ(found.torn, 0u);
  DatagramQueue queue(**ring, 1);
  std::vector<std::string> expected = {"open batch", "not routed", "being filled 1",
                                       "being filled 2"};
  EXPECT_EQ(Drain(queue), expected);
}

TEST_F(IngestRingTest, ReplayedDatagramsKeepTheirTimeAndFlagsAndSurviveASecondCrash) {
  CrashedRun();
  {
    IngestRing::Recovery found;
    ASSERT_TRUE(Open(&found));  // recovers, then dies before the pipeline reads anything
  }
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring);
  EXPECT_EQ(found.replayed, 4u);
  DatagramQueue queue(**ring, 1);
  DatagramBlock* block = queue.TryFull();
  ASSERT_NE(block, nullptr);
  std::vector<Datagram> seen;
  block->ForEachDatagram([&](const Datagram& d) { seen.push_back(d); });
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].received_at_us, 7);
  EXPECT_EQ(seen[3].received_at_us, 9);
  EXPECT_TRUE(seen[3].truncated);
}

TEST_F(IngestRingTest, ABlockReleasedIsNotReplayed) {
  {
    IngestRing::Recovery found;
    auto ring = Open(&found);
    ASSERT_TRUE(ring);
    DatagramQueue queue(**ring, 1);
    DatagramQueue::Producer producer(queue);
    DatagramBlock* block = producer.TryAcquire();
    ASSERT_TRUE(block->Append("done", 4, 1, false));
    producer.Publish(block);
    queue.Release(queue.TryFull());
  }
  IngestRing::Recovery found;
  ASSERT_TRUE(Open(&found));
  EXPECT_EQ(found.blocks, 0u);
  EXPECT_EQ(found.replayed, 0u);
}

// Byte offset of record `n` of the first block in the file, for the damage tests.
off_t RecordOffset(const std::string& path, int n) {
  std::string all = testing::ReadFile(path);
  // The block with a non-zero seq whose first record says "ignored".
  size_t at = all.find("ignored");
  EXPECT_NE(at, std::string::npos);
  off_t offset = static_cast<off_t>(at - sizeof(DatagramRecordHeader));
  for (int i = 0; i < n; ++i) {
    DatagramRecordHeader header;
    std::memcpy(&header, all.data() + offset, sizeof header);
    offset += static_cast<off_t>(DatagramBlock::RecordSize(header.size));
  }
  return offset;
}

TEST_F(IngestRingTest, AScribbledRecordEndsItsBlockAndTheRestIsCountedTorn) {
  CrashedRun();
  {
    UniqueFd fd(::open(path_.c_str(), O_WRONLY));
    ASSERT_TRUE(fd.valid());
    off_t at = RecordOffset(path_, 3) + static_cast<off_t>(sizeof(DatagramRecordHeader)) + 2;
    ASSERT_EQ(::pwrite(fd.get(), "XX", 2, at), 2);  // inside "open batch"'s payload
  }
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring);
  EXPECT_EQ(found.torn, 2u);      // "open batch" and "not routed": counted as written, not whole
  EXPECT_EQ(found.replayed, 2u);  // the block being filled
  DatagramQueue queue(**ring, 1);
  std::vector<std::string> expected = {"being filled 1", "being filled 2"};
  EXPECT_EQ(Drain(queue), expected);
}

// The receiver died while copying what its last recvmmsg() returned: three datagrams in its
// landing slots, the first already in the block ("being filled 2"). With `appended`, the kill
// came after the first's record was counted but before `copied` was raised; without, while
// the second was being appended, before its record was counted.
void LandingLeftBehind(IngestRing& ring, uint32_t copied, bool appended) {
  LandingHeader* landing = ring.Landing(0);
  char* slots = ring.LandingSlots(0);
  const std::vector<std::string> texts = {"being filled 2", "landed 1", "landed 2"};
  for (uint32_t i = 0; i < texts.size(); ++i) {
    std::memcpy(slots + i * kSlotBytes, texts[i].data(), texts[i].size());
    landing->lengths[i] = static_cast<uint32_t>(texts[i].size());
    landing->flags[i] = 0;
  }
  landing->received_at_us = 10;
  landing->count = 3;
  landing->copied = copied;
  // The block the receiver was appending to: the ring's one block in use.
  for (uint32_t b = 0; b < ring.block_count(); ++b) {
    RingBlockHeader* header = ring.BlockHeader(b);
    if (header->seq != 0) {
      landing->block = b;
      landing->block_seq = header->seq;
      landing->block_count = appended ? header->count - 1 : header->count;
    }
  }
}

TEST_F(IngestRingTest, AKillWhileCopyingTheLastReceiveTakesTheRestFromTheLandingZone) {
  for (bool appended : {false, true}) {
    SCOPED_TRACE(appended ? "the append was counted" : "the append was not counted");
    std::filesystem::remove(path_);
    CrashedRun();
    {
      IngestRing::Recovery found;
      auto ring = Open(&found);  // the crashed run's ring, read back: nothing lost yet
      ASSERT_TRUE(ring);
      // Recovery copied the four datagrams into a new ring; simulate the crash again on it
      // with a receive in progress.
      LandingLeftBehind(**ring, appended ? 0 : 1, appended);
    }
    IngestRing::Recovery found;
    auto ring = Open(&found);
    ASSERT_TRUE(ring);
    EXPECT_EQ(found.torn, 0u);
    DatagramQueue queue(**ring, 1);
    std::vector<std::string> got = Drain(queue);
    // The four of the first recovery (in one block, the last "being filled 2") and the
    // landing's two not yet in a block, each once.
    std::vector<std::string> expected = {"open batch",     "not routed", "being filled 1",
                                         "being filled 2", "landed 1",   "landed 2"};
    EXPECT_EQ(got, expected);
  }
}

TEST_F(IngestRingTest, ATruncatedFileKeepsWhatIsWholeAndCountsTheRest) {
  CrashedRun();
  ASSERT_EQ(::truncate(path_.c_str(), RecordOffset(path_, 4) + 8), 0);  // mid "not routed"
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring);
  EXPECT_EQ(found.torn, 1u);      // "not routed"; the block being filled is gone unseen
  EXPECT_EQ(found.replayed, 1u);  // "open batch"
}

TEST_F(IngestRingTest, AFileThatIsNotARingIsReplacedAndSaysWhy) {
  {
    std::ofstream out(path_);
    out << "not a ring";
  }
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring);
  EXPECT_FALSE(found.unreadable.empty());
  EXPECT_EQ(found.replayed, 0u);
}

TEST_F(IngestRingTest, RefusesARingOffTmpfs) {
  testing::TempDir disk;
  if (OnTmpfs(disk.path())) GTEST_SKIP() << "/tmp is a tmpfs here";
  auto ring = IngestRing::Open(disk.File("ingest.ring"), {kBlockBytes, kBlocks}, nullptr, nullptr);
  ASSERT_FALSE(ring);
  EXPECT_NE(ring.error().message().find("not on tmpfs"), std::string::npos);
}

TEST_F(IngestRingTest, SettledIdsAreRemembered) {
  IngestRing::Recovery found;
  auto ring = Open(&found);
  ASSERT_TRUE(ring);
  EXPECT_FALSE((*ring)->IsSettled(5));
  (*ring)->Settle(5);
  EXPECT_TRUE((*ring)->IsSettled(5));
}

}  // namespace
}  // namespace sluice::ingest
