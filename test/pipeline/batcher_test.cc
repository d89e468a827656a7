#include "pipeline/batcher.h"

#include <vector>

#include <gtest/gtest.h>

namespace sluice::pipeline {
namespace {

using std::chrono::milliseconds;

class BatcherTest : public ::testing::Test {
 protected:
  Batcher MakeBatcher(size_t rows, milliseconds age) {
    return Batcher(rows, age, 1000,
                   [this](format::Batch&& b) { emitted_.push_back(std::move(b)); });
  }
  format::EventRow Row(bool malformed = false) {
    format::EventRow row;
    row.raw = "line";
    row.malformed = malformed;
    return row;
  }
  std::vector<format::Batch> emitted_;
  Batcher::Clock::time_point t0_ = Batcher::Clock::now();
};

TEST_F(BatcherTest, EmitsWhenFullWithConsecutiveIds) {
  Batcher batcher = MakeBatcher(3, milliseconds(1000));
  for (int i = 0; i < 7; ++i) batcher.Add(Row(i == 4), t0_);
  ASSERT_EQ(emitted_.size(), 2u);
  EXPECT_EQ(emitted_[0].id, 1000u);
  EXPECT_EQ(emitted_[1].id, 1001u);
  EXPECT_EQ(emitted_[0].rows, 3u);
  EXPECT_EQ(emitted_[0].malformed, 0u);
  EXPECT_EQ(emitted_[1].malformed, 1u);
  batcher.Flush();
  ASSERT_EQ(emitted_.size(), 3u);
  EXPECT_EQ(emitted_[2].rows, 1u);
}

TEST_F(BatcherTest, EmitsWhenOldestRowReachesMaxAge) {
  Batcher batcher = MakeBatcher(100, milliseconds(200));
  batcher.Add(Row(), t0_);
  batcher.Add(Row(), t0_ + milliseconds(150));
  batcher.Tick(t0_ + milliseconds(199));
  EXPECT_TRUE(emitted_.empty());
  EXPECT_EQ(batcher.deadline(), t0_ + milliseconds(200));
  batcher.Tick(t0_ + milliseconds(200));
  ASSERT_EQ(emitted_.size(), 1u);
  EXPECT_EQ(emitted_[0].rows, 2u);
  EXPECT_FALSE(batcher.deadline());
}

TEST_F(BatcherTest, FlushWithNothingOpenEmitsNothing) {
  Batcher batcher = MakeBatcher(10, milliseconds(10));
  batcher.Flush();
  batcher.Tick(t0_ + milliseconds(100));
  EXPECT_TRUE(emitted_.empty());
}

TEST_F(BatcherTest, BatchIsACompleteCopyStream) {
  Batcher batcher = MakeBatcher(2, milliseconds(10));
  batcher.Add(Row(), t0_);
  batcher.Add(Row(), t0_);
  ASSERT_EQ(emitted_.size(), 1u);
  const std::string& data = emitted_[0].copy_data;
  EXPECT_EQ(data.substr(0, 11), std::string("PGCOPY\n\377\r\n\0", 11));
  EXPECT_EQ(data.substr(data.size() - 2), std::string("\xff\xff", 2));
}

TEST_F(BatcherTest, ABatchIsSentOnceItsBytesReachTheCap) {
  std::vector<format::Batch> out;
  Batcher batcher(
      1000, std::chrono::hours(1), 1,
      [&](format::Batch&& batch) { out.push_back(std::move(batch)); }, 10'000);
  std::string line(1000, 'x');
  format::EventRow row;
  row.raw = line;
  for (int i = 0; i < 25; ++i) batcher.Add(row, Batcher::Clock::now());
  batcher.Flush();
  ASSERT_EQ(out.size(), 3u);
  uint32_t rows = 0;
  for (const format::Batch& batch : out) {
    rows += batch.rows;
    EXPECT_LT(batch.copy_data.size(), 10'000u + 2'000u);  // the cap, passed by one row at most
  }
  EXPECT_EQ(rows, 25u);
}

}  // namespace
}  // namespace sluice::pipeline
