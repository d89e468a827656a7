#include "pipeline/flood_ladder.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_clock.h"

namespace sluice::pipeline {
namespace {

using std::chrono::milliseconds;

class FloodLadderTest : public ::testing::Test {
 protected:
  FloodLadder::Options Always(uint32_t detail_sample) {
    FloodLadder::Options options;
    options.detector.mode = FloodMode::kAlways;
    options.detail_sample = detail_sample;
    options.window = milliseconds(1000);
    options.summary_rows = 3;
    options.host = "sluice-host";
    return options;
  }
  std::unique_ptr<FloodLadder> Make(FloodLadder::Options options) {
    return std::make_unique<FloodLadder>(
        std::move(options), counters_, clock_, [this] { return next_id_++; },
        [this](format::Batch&& batch) {
          if (!accept_) return false;
          summaries_.push_back(std::move(batch));
          return true;
        },
        [this] { return room_; });
  }
  format::EventRow Reject(int i) {
    ips_.push_back("198.18.0." + std::to_string(i % 250));
    format::EventRow row;
    row.received_at_us = 1'000'000 + i;
    row.is_reject = true;
    row.client_ip = ips_.back();
    row.reason_class = "rbl";
    row.raw = "reject";
    return row;
  }
  uint64_t Aggregated() const {
    uint64_t events = 0;
    for (const format::Batch& batch : summaries_) events += batch.aggregated_events;
    return events;
  }
  uint64_t ShedRecorded() const {
    uint64_t events = 0;
    for (const format::Batch& batch : summaries_) events += batch.shed_events;
    return events;
  }
  void SetUp() override { ips_.reserve(100'000); }

  Counters counters_;
  testing::FakeClock clock_;
  uint64_t next_id_ = 1;
  bool accept_ = true;
  bool room_ = true;
  std::vector<format::Batch> summaries_;
  std::vector<std::string> ips_;
};

TEST_F(FloodLadderTest, UnderFloodOneRejectInNIsADetailRowAndTheRestAreAggregated) {
  auto ladder = Make(Always(10));
  uint64_t details = 0;
  for (int i = 0; i < 1000; ++i) details += ladder->TakeReject(Reject(i)) ? 1u : 0u;
  EXPECT_EQ(details, 100u);
  clock_.SetWallMicros(2'000'000);
  ladder->Flush();
  EXPECT_EQ(Aggregated(), 900u);  // each event in one place only
  ASSERT_FALSE(summaries_.empty());
  for (const format::Batch& batch : summaries_) {
    EXPECT_EQ(batch.rows, 0u);  // summaries never carry details: they use the spool's reserve
    EXPECT_LE(batch.aggregate_rows, 3u);
  }
  EXPECT_EQ(counters_.ladder_step.load(), 2u);
}

TEST_F(FloodLadderTest, OutsideAFloodEveryRejectIsADetailRow) {
  FloodLadder::Options options = Always(10);
  options.detector.mode = FloodMode::kNever;
  auto ladder = Make(options);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(ladder->TakeReject(Reject(i)));
  clock_.SetWallMicros(2'000'000);
  ladder->Flush();
  EXPECT_TRUE(summaries_.empty());
  EXPECT_EQ(counters_.ladder_step.load(), 1u);
}

TEST_F(FloodLadderTest, WhenTheSpoolRefusesDetailsEveryRejectIsAggregatedUntilRoomReturns) {
  auto ladder = Make(Always(10));
  ladder->DetailRefused();
  room_ = false;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(ladder->TakeReject(Reject(i)));
  EXPECT_EQ(counters_.ladder_step.load(), 3u);
  room_ = true;
  clock_.SetWallMicros(1'500'000);
  ladder->Tick();
  clock_.Advance(std::chrono::seconds(2));  // the room is checked once a second
  clock_.SetWallMicros(1'600'000);
  ladder->Tick();
  uint64_t details = 0;
  for (int i = 0; i < 100; ++i) details += ladder->TakeReject(Reject(i)) ? 1u : 0u;
  EXPECT_EQ(details, 10u);
  EXPECT_EQ(counters_.ladder_step.load(), 2u);
}

TEST_F(FloodLadderTest, ShedCountsBecomeShedRowsAndARefusedSummaryReportsThemAgain) {
  FloodLadder::Options options = Always(0);
  auto ladder = Make(options);
  counters_.Shed(counters_.shed_queue_full, 7);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(ladder->TakeReject(Reject(i)));
  accept_ = false;  // the spool is full even for summaries: count only
  clock_.SetWallMicros(2'000'000);
  ladder->Flush();
  EXPECT_TRUE(summaries_.empty());
  EXPECT_EQ(counters_.shed_spool_full.load(), 20u);  // the aggregated events, now shed
  EXPECT_EQ(counters_.ladder_step.load(), 5u);
  accept_ = true;
  clock_.SetWallMicros(3'000'000);
  ladder->Flush();
  ASSERT_EQ(summaries_.size(), 1u);
  EXPECT_EQ(summaries_[0].shed_rows, 2u);  // queue_full and spool_full
  EXPECT_EQ(ShedRecorded(), 27u);
  EXPECT_EQ(Aggregated(), 0u);
  // Everything taken in is in exactly one place: aggregated, or shed and recorded as such.
  EXPECT_EQ(Aggregated() + counters_.shed.load(), 27u);
}

}  // namespace
}  // namespace sluice::pipeline
