// Followed files' chunks through the pipeline: one batch per chunk with its mark, flood
// handling within the batch, nothing shed when the sink has no room.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/env.h"
#include "common/mutex.h"
#include "pipeline/pipeline.h"
#include "support/process.h"

namespace sluice::pipeline {
namespace {

using testing::WaitUntil;

std::string EximReject(int i) {
  return "2024-01-31 13:00:0" + std::to_string(i % 10) + " H=(helo.example) [192.0.2." +
         std::to_string(i % 3) + "] F=<a@example.net> rejected RCPT <b@example.org>: relay " +
         "not permitted";
}

class FollowedPipelineTest : public ::testing::Test {
 protected:
  ingest::FollowedChunk Chunk(std::vector<std::string> lines, uint64_t end) {
    return ingest::FollowedChunk{
        "/var/log/exim4/mainlog", {42, 0, end}, std::move(lines), 1'700'000'000'000'000};
  }
  void Push(ingest::FollowedChunk&& chunk) {
    std::stop_source stop;
    ASSERT_TRUE(followed_.Push(std::move(chunk), stop.get_token()));
  }
  std::unique_ptr<Pipeline> Start(Pipeline::Options options) {
    options.batch_id_base = 100;
    return std::make_unique<Pipeline>(
        queue_, counters_, DefaultEnv().clock, options,
        [this](format::Batch&& batch) {
          MutexLock lock(mu_);
          if (refuse_ > 0) {
            --refuse_;
            return false;
          }
          batches_.push_back(std::move(batch));
          return true;
        },
        nullptr, &followed_);
  }
  size_t Submitted() {
    MutexLock lock(mu_);
    return batches_.size();
  }

  ingest::DatagramQueue queue_{8 << 20, 256 << 10, 1};
  ingest::FollowedChunkQueue followed_{4};
  Counters counters_;
  Mutex mu_;
  std::vector<format::Batch> batches_ GUARDED_BY(mu_);
  int refuse_ GUARDED_BY(mu_) = 0;
};

TEST_F(FollowedPipelineTest, EachChunkIsOneBatchCarryingWhereItEnds) {
  Pipeline::Options options;
  options.keep_all = false;
  auto pipeline = Start(options);
  Push(Chunk({EximReject(1), EximReject(2), "2024-01-31 13:00:02 Start queue run: pid=100"}, 300));
  Push(Chunk({EximReject(3)}, 420));
  pipeline->Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 2u);
  EXPECT_EQ(batches_[0].rows, 2u);
  EXPECT_EQ(batches_[1].rows, 1u);
  EXPECT_LT(batches_[0].id, batches_[1].id);
  ASSERT_EQ(batches_[0].marks.size(), 1u);
  EXPECT_EQ(batches_[0].marks[0].source, "/var/log/exim4/mainlog");
  EXPECT_EQ(batches_[0].marks[0].at, (FilePosition{42, 0, 300}));
  EXPECT_EQ(batches_[1].marks[0].at.offset, 420u);
  EXPECT_EQ(counters_.followed.load(), 4u);
  EXPECT_EQ(counters_.ignored.load(), 1u);
}

// A chunk whose lines are all ignored still moves the mark: they are not read again.
TEST_F(FollowedPipelineTest, AChunkWithoutRowsStillCarriesItsMark) {
  Pipeline::Options options;
  options.keep_all = false;
  auto pipeline = Start(options);
  Push(Chunk({"2024-01-31 13:00:02 Start queue run: pid=100"}, 45));
  pipeline->Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 1u);
  EXPECT_EQ(batches_[0].rows, 0u);
  EXPECT_EQ(batches_[0].events(), 0u);
  ASSERT_EQ(batches_[0].marks.size(), 1u);
  EXPECT_EQ(batches_[0].marks[0].at.offset, 45u);
}

// Rejectlog entries' header lines belong to the entry, also across chunks.
TEST_F(FollowedPipelineTest, EximRejectlogHeaderLinesAreNotEventsEvenAcrossChunks) {
  auto pipeline = Start(Pipeline::Options{});
  Push(Chunk({EximReject(1), "Envelope-from: <s@example.net>"}, 100));
  Push(Chunk({"P Received: from [192.0.2.24]", EximReject(2)}, 200));
  pipeline->Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 2u);
  EXPECT_EQ(batches_[0].rows + batches_[1].rows, 2u);
  EXPECT_EQ(counters_.followed.load(), 2u);
}

// Under flood the ladder's choice applies, and a chunk's aggregates travel in its own batch,
// so the batch is all of the chunk: every event is a detail row or counted in an aggregate.
TEST_F(FollowedPipelineTest, UnderFloodAChunksAggregatesAreInItsOwnBatch) {
  Pipeline::Options options;
  options.flood.detector.mode = FloodMode::kAlways;
  options.flood.detail_sample = 10;
  auto pipeline = Start(options);
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) lines.push_back(EximReject(i));
  Push(Chunk(lines, 10'000));
  pipeline->Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 1u);
  const format::Batch& batch = batches_[0];
  EXPECT_EQ(batch.rows, 10u);
  EXPECT_EQ(batch.aggregated_events, 90u);
  EXPECT_EQ(batch.aggregate_rows, 3u);  // three client addresses
  EXPECT_EQ(batch.events(), 100u);
  EXPECT_EQ(batch.marks[0].at.offset, 10'000u);
}

// The file keeps what the sink cannot take: a refused batch is offered again, whole, and no
// chunk is taken meanwhile; nothing is shed.
TEST_F(FollowedPipelineTest, ABatchTheSinkRefusesIsHeldAndOfferedAgainNotShed) {
  {
    MutexLock lock(mu_);
    refuse_ = 3;
  }
  auto pipeline = Start(Pipeline::Options{});
  Push(Chunk({EximReject(1), EximReject(2)}, 100));
  Push(Chunk({EximReject(3)}, 200));
  ASSERT_TRUE(WaitUntil([&] { return Submitted() == 2; }, std::chrono::seconds(10)));
  pipeline->Stop();
  MutexLock lock(mu_);
  EXPECT_EQ(batches_[0].rows, 2u);
  EXPECT_EQ(batches_[0].marks[0].at.offset, 100u);
  EXPECT_EQ(batches_[1].marks[0].at.offset, 200u);
  EXPECT_EQ(counters_.shed.load(), 0u);
  EXPECT_EQ(counters_.follow_held.load(), 3u);
}

}  // namespace
}  // namespace sluice::pipeline
