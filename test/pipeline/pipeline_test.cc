#include "pipeline/pipeline.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/env.h"
#include "common/mutex.h"
#include "common/unique_fd.h"
#include "support/daemon_harness.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::pipeline {
namespace {

using testing::WaitUntil;

class PipelineTest : public ::testing::Test {
 protected:
  void Publish(const std::vector<std::string>& lines) {
    ingest::DatagramBlock* block = producer_.TryAcquire();
    ASSERT_NE(block, nullptr);
    for (const std::string& line : lines) {
      ASSERT_TRUE(block->Append(line.data(), line.size(), 1'000'000, false));
    }
    producer_.Publish(block);
  }
  uint64_t RowsSubmitted() {
    MutexLock lock(mu_);
    uint64_t rows = 0;
    for (const format::Batch& b : batches_) rows += b.rows;
    return rows;
  }
  static Pipeline::Options Options(size_t rows, std::chrono::milliseconds age, uint64_t base) {
    Pipeline::Options options;
    options.batch_rows = rows;
    options.batch_ms = age;
    options.batch_id_base = base;
    return options;
  }
  static Pipeline::Options RejectsOnly(Pipeline::Options options) {
    options.keep_all = false;
    return options;
  }
  Pipeline::Submit Collect(bool accept) {
    return [this, accept](format::Batch&& batch) {
      if (!accept) return false;
      MutexLock lock(mu_);
      batches_.push_back(std::move(batch));
      return true;
    };
  }

  ingest::DatagramQueue queue_{8 << 20, 256 << 10, 1};
  ingest::DatagramQueue::Producer producer_{queue_};
  Counters counters_;
  Mutex mu_;
  std::vector<format::Batch> batches_ GUARDED_BY(mu_);
};

TEST_F(PipelineTest, BatchesByRowsAndByAge) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock,
                    Options(3, std::chrono::milliseconds(30), 500), Collect(true));
  Publish({"<22>Nov 28 10:00:00 a[1]: x", "b", "c", "d"});
  // The fourth row goes out once its batch is 30 ms old, without more input.
  ASSERT_TRUE(WaitUntil([&] { return RowsSubmitted() == 4; }, std::chrono::seconds(10)));
  pipeline.Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 2u);
  // Ids come from base 500 on; the flood window's summary batch took the first.
  EXPECT_EQ(batches_[0].id, 501u);
  EXPECT_EQ(batches_[1].id, 502u);
  EXPECT_EQ(batches_[0].rows, 3u);
  EXPECT_EQ(batches_[1].rows, 1u);
}

TEST_F(PipelineTest, StopProcessesWhatIsQueuedAndFlushes) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock, Options(1000, std::chrono::hours(1), 1),
                    Collect(true));
  for (int i = 0; i < 10; ++i) Publish({"one", "two"});
  pipeline.Stop();
  EXPECT_EQ(RowsSubmitted(), 20u);
}

TEST_F(PipelineTest, RefusedBatchIsCountedAsShed) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock, Options(2, std::chrono::hours(1), 1),
                    Collect(false));
  Publish({"a", "b", "c"});
  pipeline.Stop();
  EXPECT_EQ(counters_.shed_spool_full.load(), 3u);
  EXPECT_EQ(counters_.shed.load(), 3u);
}

// The ladder on the pipeline thread: with flood.mode "always", rejects become 1 detail row in
// 10 and aggregates for the rest, non-rejects stay detail rows, and the summary batches go
// through the same submit; every event is in one place.
TEST_F(PipelineTest, UnderFloodRejectsAreAggregatedAndEveryEventIsInOnePlace) {
  Pipeline::Options options = Options(100, std::chrono::milliseconds(20), 1);
  options.flood.detector.mode = FloodMode::kAlways;
  options.flood.detail_sample = 10;
  options.flood.window = std::chrono::milliseconds(100);
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock, options, Collect(true));
  for (int block = 0; block < 20; ++block) {
    std::vector<std::string> lines;
    for (int i = 0; i < 50; ++i) {
      lines.push_back(
          "<22>Nov 28 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
          "unknown[198.18.0." +
          std::to_string(i % 7) +
          "]: 554 5.7.1 Service "
          "unavailable; Client host [x] blocked using zen.spamhaus.org; from=<a> "
          "to=<b> proto=ESMTP helo=<c>");
    }
    lines.push_back("<22>Nov 28 10:00:00 mx1 kernel: not a reject");
    Publish(lines);
  }
  pipeline.Stop();
  MutexLock lock(mu_);
  uint64_t rows = 0, aggregated = 0, aggregate_rows = 0;
  for (const format::Batch& batch : batches_) {
    rows += batch.rows;
    aggregated += batch.aggregated_events;
    aggregate_rows += batch.aggregate_rows;
  }
  EXPECT_EQ(rows + aggregated, 20u * 51u);
  EXPECT_EQ(rows, 20u * 5u + 20u);  // the sampled rejects and the 20 other lines
  EXPECT_GE(aggregate_rows, 7u);    // 7 addresses, in one or more windows
  EXPECT_LE(aggregate_rows, 7u * 20u);
}

TEST_F(PipelineTest, MalformedDatagramsAreCountedInTheBatch) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock, Options(100, std::chrono::hours(1), 1),
                    Collect(true));
  Publish({std::string("bin\0ary", 7), "\xff\xfe", "fine", ""});
  pipeline.Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 1u);
  EXPECT_EQ(batches_[0].rows, 4u);
  EXPECT_EQ(batches_[0].malformed, 3u);
  EXPECT_NE(batches_[0].copy_data.find("bin\\x00ary"), std::string::npos);
}

TEST_F(PipelineTest, TrailingNulAndLineEndAreTerminatorsNotContent) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock, Options(100, std::chrono::hours(1), 1),
                    Collect(true));
  Publish({std::string("<20>python line\0", 16), "<22>crlf line\r\n", std::string("\0", 1)});
  pipeline.Stop();
  MutexLock lock(mu_);
  ASSERT_EQ(batches_.size(), 1u);
  EXPECT_EQ(batches_[0].malformed, 1u);  // only the datagram that was nothing but a NUL
  const std::string& data = batches_[0].copy_data;
  EXPECT_NE(data.find(std::string("\0\0\0\x0f<20>python line", 19)), std::string::npos);
  EXPECT_NE(data.find(std::string("\0\0\0\x0d<22>crlf line", 17)), std::string::npos);
}

TEST_F(PipelineTest, KeepingRejectsCountsEveryOtherLineAsIgnored) {
  Pipeline pipeline(queue_, counters_, DefaultEnv().clock,
                    RejectsOnly(Options(100, std::chrono::hours(1), 1)), Collect(true));
  Publish(
      {"<22>Nov 28 10:00:00 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
       "554 5.7.1 <a@b>: Relay access denied; from=<c@d> to=<a@b> proto=ESMTP helo=<h>",
       "<22>Nov 28 10:00:00 postfix/smtpd[1]: connect from unknown[192.0.2.1]",
       "<30>Nov 28 10:00:00 systemd[1]: Started x.", std::string("bin\0ary", 7)});
  pipeline.Stop();
  EXPECT_EQ(RowsSubmitted(), 2u);  // the reject and the malformed datagram
  EXPECT_EQ(counters_.ignored.load(), 2u);
}

}  // namespace
}  // namespace sluice::pipeline
