// The pipeline over an ingest ring: a block goes back to the queue only once every batch its
// datagrams went into is settled (appended by the spool, or refused and counted).
#include <linux/magic.h>
#include <sys/statfs.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/env.h"
#include "common/mutex.h"
#include "ingest/ingest_ring.h"
#include "pipeline/pipeline.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::pipeline {
namespace {

using testing::WaitUntil;

class RingPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct statfs fs {};
    if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
      GTEST_SKIP() << "no tmpfs at /dev/shm";
    }
    auto ring = ingest::IngestRing::Open(dir_.File("ring"), {64 << 10, 4}, nullptr, nullptr);
    ASSERT_TRUE(ring) << ring.error().message();
    ring_ = std::move(*ring);
    queue_ = std::make_unique<ingest::DatagramQueue>(*ring_, 1);
    producer_ = std::make_unique<ingest::DatagramQueue::Producer>(*queue_);
  }

  void Publish(int lines) {
    ingest::DatagramBlock* block = producer_->TryAcquire();
    ASSERT_NE(block, nullptr);
    for (int i = 0; i < lines; ++i) {
      std::string line = "<22>Dec  2 10:00:00 mx1 app[1]: line " + std::to_string(i);
      ASSERT_TRUE(block->Append(line.data(), line.size(), 1'000'000, false));
    }
    producer_->Publish(block);
  }

  static Pipeline::Options Options(std::chrono::milliseconds age) {
    Pipeline::Options options;
    options.batch_rows = 1000;
    options.batch_ms = age;
    options.batch_id_base = 100;
    return options;
  }

  // Keeps batches (settling them as the spool would, if `settle`) or refuses them.
  Pipeline::Submit Collect(bool accept, bool settle) {
    return [this, accept, settle](format::Batch&& batch) {
      EXPECT_TRUE(batch.from_ring);
      if (!accept) return false;
      if (settle) ring_->Settle(batch.id);
      MutexLock lock(mu_);
      batches_.push_back(std::move(batch));
      return true;
    };
  }
  std::vector<uint64_t> BatchIds() {
    MutexLock lock(mu_);
    std::vector<uint64_t> ids;
    for (const format::Batch& batch : batches_) ids.push_back(batch.id);
    return ids;
  }

  testing::TempDir dir_{"/dev/shm"};
  std::unique_ptr<ingest::IngestRing> ring_;
  std::unique_ptr<ingest::DatagramQueue> queue_;
  std::unique_ptr<ingest::DatagramQueue::Producer> producer_;
  Counters counters_;
  Mutex mu_;
  std::vector<format::Batch> batches_ GUARDED_BY(mu_);
};

TEST_F(RingPipelineTest, ABlockComesBackOnlyOnceItsBatchIsSettled) {
  Pipeline pipeline(*queue_, counters_, DefaultEnv().clock, Options(std::chrono::milliseconds(10)),
                    Collect(true, false));
  Publish(3);
  ASSERT_TRUE(WaitUntil([&] { return BatchIds().size() == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(queue_->BlocksInUse(), 1u) << "held: its batch is not in the spool yet";
  ring_->Settle(BatchIds().front());
  EXPECT_TRUE(WaitUntil([&] { return queue_->BlocksInUse() == 0; }, std::chrono::seconds(10)));
  pipeline.Stop();
}

TEST_F(RingPipelineTest, ARefusedBatchIsSettledAndCountedSoItsBlockComesBack) {
  Pipeline pipeline(*queue_, counters_, DefaultEnv().clock, Options(std::chrono::milliseconds(10)),
                    Collect(false, false));
  Publish(3);
  EXPECT_TRUE(WaitUntil([&] { return queue_->BlocksInUse() == 0; }, std::chrono::seconds(10)));
  pipeline.Stop();
  EXPECT_EQ(counters_.shed_spool_full.load(), 3u);
}

TEST_F(RingPipelineTest, HalfTheRingWaitingClosesTheOpenBatchEarly) {
  Pipeline pipeline(*queue_, counters_, DefaultEnv().clock, Options(std::chrono::hours(1)),
                    Collect(true, true));
  Publish(2);
  Publish(2);  // two of four blocks wait for a batch that would stay open for an hour
  EXPECT_TRUE(WaitUntil([&] { return queue_->BlocksInUse() == 0; }, std::chrono::seconds(10)));
  EXPECT_GE(counters_.ring_early_flushes.load(), 1u);
  EXPECT_FALSE(BatchIds().empty());
  pipeline.Stop();
}

// Blocks waiting on batches already handed to the spool (not yet settled) are not the open
// batch's doing: the pipeline closes the open batch once, not on every pass while they wait.
TEST_F(RingPipelineTest, BlocksWaitingOnSubmittedBatchesCauseOneEarlyFlushNotOneAPass) {
  Pipeline pipeline(*queue_, counters_, DefaultEnv().clock, Options(std::chrono::hours(1)),
                    Collect(true, false));
  Publish(2);
  Publish(2);
  ASSERT_TRUE(WaitUntil([&] { return BatchIds().size() == 1; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // many passes of the loop
  EXPECT_EQ(counters_.ring_early_flushes.load(), 1u);
  EXPECT_EQ(BatchIds().size(), 1u);
  EXPECT_EQ(queue_->BlocksInUse(), 2u);
  ring_->Settle(BatchIds().front());
  EXPECT_TRUE(WaitUntil([&] { return queue_->BlocksInUse() == 0; }, std::chrono::seconds(10)));
  pipeline.Stop();
}

}  // namespace
}  // namespace sluice::pipeline
