#include "sink/writer_pool.h"

#include <atomic>
#include <deque>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/batcher.h"
#include "sink/batch_writer.h"
#include "support/pg_sandbox.h"
#include "support/process.h"

namespace sluice::sink {
namespace {

using testing::SharedPgSandbox;
using testing::WaitUntil;

pipeline::Batch MakeBatch(uint64_t id, int rows, const std::string& tag) {
  std::optional<pipeline::Batch> out;
  pipeline::Batcher batcher(static_cast<size_t>(rows), std::chrono::hours(1), id,
                            [&](pipeline::Batch&& b) { out = std::move(b); });
  for (int i = 0; i < rows; ++i) {
    parse::EventRow row;
    row.received_at_us = 1'795'867'200'000'000;
    row.program = "postfix/smtpd";
    row.pid = i;
    row.client_ip = "2001:db8::7";
    row.raw = tag;
    batcher.Add(row, pipeline::Batcher::Clock::now());
  }
  return std::move(*out);
}

class WriterPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pg().started()) << pg().start_output();
    pg().Migrate();
  }
  static testing::PgSandbox& pg() { return SharedPgSandbox(); }
  std::string Count(const std::string& tag) {
    return pg().Query("SELECT count(*) FROM sluice.events WHERE raw = '" + tag + "'");
  }
  WriterPoolOptions Options(int writers) {
    WriterPoolOptions options;
    options.conninfo = pg().conninfo();
    options.application_name = "sluiced-pool-test";
    options.instance_id =
        "test:" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    options.writers = writers;
    options.backoff_min = std::chrono::milliseconds(20);
    options.backoff_max = std::chrono::milliseconds(200);
    return options;
  }
  Counters counters_;
};

TEST_F(WriterPoolTest, BatchesLandWithEveryColumnDecodedByPostgres) {
  WriterPool pool(Options(2), counters_);
  for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(pool.Submit(MakeBatch(id, 100, "land")));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  EXPECT_TRUE(pool.Stop().empty());
  EXPECT_EQ(Count("land"), "1000");
  EXPECT_EQ(counters_.stored.load(), 1000u);
  EXPECT_EQ(counters_.batches_committed.load(), 10u);
  EXPECT_EQ(
      pg().Query("SELECT received_at || ' ' || program || ' ' || pid || ' ' || host(client_ip) "
                 "FROM sluice.events WHERE raw = 'land' AND pid = 7 LIMIT 1"),
      "2026-11-28 12:00:00+00 postfix/smtpd 7 2001:db8::7");
  EXPECT_EQ(pg().Query("SELECT count(DISTINCT batch_id) FROM sluice.events WHERE raw = 'land'"),
            "10");
}

TEST_F(WriterPoolTest, ABatchAlreadyInTheLedgerIsSkippedNotWrittenTwice) {
  WriterPool pool(Options(1), counters_);
  ASSERT_TRUE(pool.Submit(MakeBatch(77, 5, "twice")));
  ASSERT_TRUE(pool.Submit(MakeBatch(77, 5, "twice")));  // e.g. a retry after an unknown outcome
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  (void)pool.Stop();
  EXPECT_EQ(Count("twice"), "5");
  EXPECT_EQ(counters_.batches_committed.load(), 1u);
  EXPECT_EQ(pg().Query("SELECT rows FROM sluice.batches WHERE batch_id = 77"), "5");
}

TEST_F(WriterPoolTest, ARefusedBatchIsShedAloneAndItsTransactionNeighboursLand) {
  WriterPoolOptions options = Options(1);
  options.conninfo = "host=/nonexistent-sluice-dir";  // hold the batches until all are queued
  pipeline::Batch poison = MakeBatch(902, 5, "poison");
  poison.copy_data.replace(19, 2, "\x7f\x7f");  // a tuple with 32639 columns: refused
  {
    WriterPool holding(options, counters_);
    ASSERT_TRUE(holding.Submit(MakeBatch(901, 5, "neighbour")));
    ASSERT_TRUE(holding.Submit(std::move(poison)));
    ASSERT_TRUE(holding.Submit(MakeBatch(903, 5, "neighbour")));
    std::deque<pipeline::Batch> held = holding.Stop();
    ASSERT_EQ(held.size(), 3u);
    WriterPool pool(Options(1), counters_);  // takes all three into one transaction
    for (pipeline::Batch& batch : held) ASSERT_TRUE(pool.Submit(std::move(batch)));
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    (void)pool.Stop();
  }
  EXPECT_EQ(Count("neighbour"), "10");
  EXPECT_EQ(Count("poison"), "0");
  EXPECT_EQ(counters_.shed_rejected.load(), 5u);
  EXPECT_EQ(counters_.stored.load(), 10u);
}

TEST_F(WriterPoolTest, NeverMoreConnectionsThanWriters) {
  WriterPool pool(Options(3), counters_);
  std::atomic<bool> done{false};
  int peak = 0;
  std::thread sampler([&] {
    while (!done.load()) {
      std::string n = pg().Query(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sluiced-pool-test'");
      if (!n.empty()) peak = std::max(peak, std::stoi(n));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  for (uint64_t id = 1000; id < 1200; ++id) {
    while (!pool.Submit(MakeBatch(id, 50, "conns"))) std::this_thread::yield();
  }
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  done = true;
  sampler.join();
  (void)pool.Stop();
  EXPECT_EQ(Count("conns"), "10000");
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, 3);
}

TEST_F(WriterPoolTest, MemoryCapRefusesBatchesInsteadOfGrowing) {
  WriterPoolOptions options = Options(1);
  options.conninfo = "host=/nonexistent-sluice-dir";  // never connects: nothing drains
  options.memory_bytes = 64 << 10;
  WriterPool pool(options, counters_);
  int accepted = 0;
  for (uint64_t id = 1; id <= 100; ++id) accepted += pool.Submit(MakeBatch(id, 10, "cap"));
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 100);
  EXPECT_LE(pool.pending_bytes(), size_t{64 << 10});
  EXPECT_EQ(pool.Stop().size(), static_cast<size_t>(accepted));
}

TEST_F(WriterPoolTest, ReconnectsAfterTheServerRestartsAndLosesNothing) {
  WriterPool pool(Options(2), counters_);
  ASSERT_TRUE(pool.Submit(MakeBatch(5000, 10, "restart")));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  ASSERT_TRUE(pg().Stop());
  for (uint64_t id = 5001; id <= 5020; ++id) ASSERT_TRUE(pool.Submit(MakeBatch(id, 10, "restart")));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(pg().Start());
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  (void)pool.Stop();
  EXPECT_EQ(Count("restart"), "210");
  EXPECT_GT(counters_.db_errors.load(), 0u);
}

}  // namespace
}  // namespace sluice::sink
