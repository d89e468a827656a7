#include "sink/writer_pool.h"

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "common/env.h"
#include "common/posix_file_system.h"
#include "format/copy_decoder.h"
#include "format/copy_fields.h"
#include "format/summary_encoder.h"
#include "pipeline/batcher.h"
#include "sink/batch_accounting.h"
#include "sink/batch_writer.h"
#include "sink/writer_pool_fixture.h"
#include "spool/segment_reader.h"
#include "support/fake_clock.h"
#include "support/fault_injection_file_system.h"
#include "support/pg_sandbox.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::sink {
namespace {

using testing::SharedPgSandbox;
using testing::WaitUntil;

TEST_F(WriterPoolTest, BatchesLandWithEveryColumnDecodedByPostgres) {
  auto spool = MakeSpool();
  WriterPool pool(Options(2), *spool, counters_, DefaultEnv().clock);
  for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(pool.Submit(MakeBatch(id, 100, "land")));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(spool->waiting_batches(), 0u);
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

// The spool's disk is full (the fault-injecting file system says ENOSPC to every write): the
// batches wait in memory instead and land all the same.
TEST_F(WriterPoolTest, BatchesTheFullDiskRefusedLandFromMemory) {
  PosixFileSystem posix;
  testing::FaultInjectionFileSystem fs(posix);
  Env env{fs, DefaultEnv().clock};
  fs.SetNoSpace(true);
  auto spool = MakeSpool(256 << 20, 1 << 30, env);
  WriterPool pool(Options(2), *spool, counters_, env.clock);
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(pool.Submit(MakeBatch(id, 100, "fulldisk")));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("fulldisk"), "500");
  EXPECT_EQ(counters_.stored.load(), 500u);
  EXPECT_EQ(counters_.spooled_batches.load(), 0u);
  EXPECT_GE(fs.calls(testing::FileOp::kCreate), 5u);  // each batch tried the disk first
}

// One writer; a batch on disk only no longer decodes: the writer goes on with the later
// batches, and the damaged one is counted as shed (spool_damaged).
TEST_F(WriterPoolTest, ADamagedBatchIsCountedAndTheWriterGoesOn) {
  auto spool = MakeSpool(/*memory=*/16);  // batches on disk only
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id, 100, "damaged")));
  std::string segment;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File("spool1"))) {
    if (entry.path().extension() == ".sgz") segment = entry.path().string();
  }
  auto contents = spool::ReadSegment(DefaultEnv().fs, segment);
  ASSERT_TRUE(contents);
  ASSERT_EQ(contents->batches.size(), 3u);
  {  // one byte of the first batch's zstd frame
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(contents->batches[0].offset + 20));
    file.put('\x5a');
  }
  WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  ASSERT_TRUE(pool.Submit(MakeBatch(4, 100, "damaged")));  // the writer is still there
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("damaged"), "300");
  EXPECT_EQ(pg().Query("SELECT count(*) FROM sluice.events WHERE raw = 'damaged' AND batch_id = 1"),
            "0");
  EXPECT_EQ(counters_.shed_spool_damaged.load(), 100u);
  EXPECT_EQ(counters_.stored.load(), 300u);
  EXPECT_EQ(counters_.quarantined_segments.load(), 1u);
}

// A batch committed whose segment outlived the commit (sluiced killed between the two), then
// recovered by a sluiced with another name (another host name, socket or instance_id): the
// ledger still knows it under the name in the segment's header, so it is not written twice.
TEST_F(WriterPoolTest, ACommittedBatchRecoveredUnderAnotherInstanceIdIsNotWrittenTwice) {
  const std::string old_dir = dir_.File("old-spool");
  std::string kept = dir_.File("kept-segment");
  {
    spool::SpoolOptions options;
    options.dir = old_dir;
    options.instance_id = "mx1:/run/sluice/old.sock";
    options.memory_bytes = 16;  // on disk only
    auto old_spool = spool::Spool::Open(options, DefaultEnv(), counters_);
    ASSERT_TRUE(old_spool);
    for (uint64_t id = 1; id <= 3; ++id) {
      ASSERT_TRUE((*old_spool)->Add(MakeBatch(id, 50, "renamed")));
    }
    ASSERT_TRUE((*old_spool)->Sync());
    for (const auto& entry : std::filesystem::directory_iterator(old_dir)) {
      if (entry.path().extension() == ".sgz") std::filesystem::copy_file(entry.path(), kept);
    }
    WriterPoolOptions pool_options = Options(1);
    pool_options.instance_id = options.instance_id;
    WriterPool pool(pool_options, **old_spool, counters_, DefaultEnv().clock);
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  }
  ASSERT_EQ(Count("renamed"), "150");
  // The segment is back, as if the deletion had never happened; a sluiced with a new name.
  const std::string new_dir = dir_.File("new-spool");
  std::filesystem::create_directories(new_dir);
  std::filesystem::copy_file(kept, new_dir + "/seg-00000000000000000001.sgz");
  spool::SpoolOptions options;
  options.dir = new_dir;
  options.instance_id = "mx1-renamed:/run/sluice/new.sock";
  auto new_spool = spool::Spool::Open(options, DefaultEnv(), counters_);
  ASSERT_TRUE(new_spool);
  EXPECT_EQ((*new_spool)->waiting_batches(), 3u);
  WriterPoolOptions pool_options = Options(1);
  pool_options.instance_id = options.instance_id;
  WriterPool pool(pool_options, **new_spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("renamed"), "150");
  EXPECT_EQ(counters_.batches_skipped.load(), 3u);
  EXPECT_EQ(pg().Query("SELECT count(*) FROM sluice.batches WHERE instance_id = "
                       "'mx1-renamed:/run/sluice/new.sock'"),
            "0");
}

// A writer that cannot connect waits out its backoff on the injected clock: nothing retries
// until the clock is moved, however long the real wait.
TEST_F(WriterPoolTest, BackoffWaitsOnTheInjectedClock) {
  testing::FakeClock clock;
  WriterPoolOptions options = Options(1);
  options.conninfo = "host=" + dir_.path() + " dbname=nobody connect_timeout=2";
  options.backoff_min = std::chrono::hours(1);
  options.backoff_max = std::chrono::hours(1);
  auto spool = MakeSpool();
  WriterPool pool(options, *spool, counters_, clock);
  ASSERT_TRUE(WaitUntil([&] { return counters_.db_errors.load() == 1; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(counters_.db_errors.load(), 1u);
  clock.Advance(std::chrono::hours(2));
  EXPECT_TRUE(WaitUntil([&] { return counters_.db_errors.load() == 2; }, std::chrono::seconds(30)));
  pool.Stop();  // returns at once, in the middle of a one-hour backoff
}

// A writer blocked in a call that does not return (a spool read from a disk that hangs) is
// stuck once the limit has passed; one that waits for work, however long, never is.
TEST_F(WriterPoolTest, AWriterBlockedOnAHungDiskIsStuckAndOneWaitingForWorkIsNot) {
  testing::FakeClock clock;
  PosixFileSystem posix;
  testing::FaultInjectionFileSystem fs(posix);
  Env env{fs, clock};
  auto spool = MakeSpool(/*memory=*/16, 1 << 30, env);  // batches on disk only
  WriterPool pool(Options(1), *spool, counters_, clock);
  ASSERT_TRUE(WaitUntil([&] { return pool.Connections() == 1; }, std::chrono::seconds(30)));
  // Past its first upkeep round (database calls, beating), waiting for work: only then does
  // an hour on the clock say anything.
  ASSERT_TRUE(WaitUntil([&] { return pool.WaitingWriters() == 1; }, std::chrono::seconds(30)));
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(pool.StuckWriters(std::chrono::seconds(30)), 0u);

  fs.HangNext(testing::FileOp::kRead);
  ASSERT_TRUE(pool.Submit(MakeBatch(1, 10, "hung")));
  ASSERT_TRUE(WaitUntil([&] { return fs.hanging(); }, std::chrono::seconds(30)));
  clock.Advance(std::chrono::seconds(29));
  EXPECT_EQ(pool.StuckWriters(std::chrono::seconds(30)), 0u);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(pool.StuckWriters(std::chrono::seconds(30)), 1u);

  fs.Release();
  ASSERT_TRUE(WaitUntil([&] { return counters_.stored.load() == 10; }, std::chrono::seconds(30)));
  EXPECT_EQ(pool.StuckWriters(std::chrono::seconds(30)), 0u);
  pool.Stop();
  EXPECT_EQ(Count("hung"), "10");
}

// A batch spooled by sluice 0.3 (batch format 2: no reason_class column) still loads.
TEST_F(WriterPoolTest, AFormatTwoBatchFromAnOlderSpoolLandsInItsTwentyColumns) {
  format::Batch batch = MakeBatch(301, 3, "format2");
  auto tuples = format::CopyDecoder::SplitTuples(batch.copy_data);
  ASSERT_TRUE(tuples);
  std::vector<std::string> old;
  for (std::string_view tuple : *tuples) {
    std::string cut(tuple.substr(0, tuple.size() - 4));  // without reason_class (NULL: -1)
    cut[1] = 20;
    old.push_back(std::move(cut));
  }
  batch.copy_data = format::CopyDecoder::Assemble({old.begin(), old.end()});
  batch.format = format::kBatchFormatV2;
  auto spool = MakeSpool();
  WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(std::move(batch)));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("format2"), "3");
  EXPECT_EQ(pg().Query("SELECT count(*) FROM sluice.events WHERE raw = 'format2' AND "
                       "reason_class IS NULL AND pid IS NOT NULL"),
            "3");
}

// A summary batch: aggregate and shed rows, no detail rows, committed with its ledger row.
TEST_F(WriterPoolTest, ASummaryBatchLandsItsAggregateAndShedRowsOnce) {
  format::Batch batch;
  batch.id = 401;
  format::AggregateRow aggregate;
  aggregate.window_start_us = 1'795'867'200'000'000;
  aggregate.window_end_us = 1'795'867'210'000'000;
  aggregate.host = "mx1";
  aggregate.client_ip = "198.18.3.0/24";
  aggregate.reason_class = "rbl";
  aggregate.rbl = "zen.spamhaus.org";
  aggregate.granularity = "prefix";
  aggregate.events = 12345;
  aggregate.first_seen_us = aggregate.window_start_us + 1;
  aggregate.last_seen_us = aggregate.window_end_us - 1;
  aggregate.sample = "<22>Nov 28 12:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: ...";
  format::copy::PutHeader(batch.aggregate_data);
  format::SummaryEncoder::AppendAggregate(batch.aggregate_data, aggregate, 401);
  format::copy::PutTrailer(batch.aggregate_data);
  batch.aggregate_rows = 1;
  batch.aggregated_events = 12345;
  format::ShedRow shed;
  shed.window_start_us = aggregate.window_start_us;
  shed.window_end_us = aggregate.window_end_us;
  shed.host = "sluice-host";
  shed.cause = "queue_full";
  shed.events = 17;
  format::copy::PutHeader(batch.shed_data);
  format::SummaryEncoder::AppendShed(batch.shed_data, shed, 401);
  format::copy::PutTrailer(batch.shed_data);
  batch.shed_rows = 1;
  batch.shed_events = 17;
  auto spool = MakeSpool();
  WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
  format::Batch again = batch;
  ASSERT_TRUE(pool.Submit(std::move(batch)));
  ASSERT_TRUE(pool.Submit(std::move(again)));  // a retry: the ledger skips it
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(pg().Query("SELECT host || ' ' || client_ip || ' ' || reason_class || ' ' || rbl || "
                       "' ' || granularity || ' ' || events || ' ' || (mta IS NULL) || ' ' || "
                       "(last_seen - first_seen) FROM sluice.aggregates WHERE batch_id = 401"),
            "mx1 198.18.3.0/24 rbl zen.spamhaus.org prefix 12345 true 00:00:09.999998");
  EXPECT_EQ(pg().Query("SELECT host || ' ' || cause || ' ' || events FROM sluice.shed "
                       "WHERE batch_id = 401"),
            "sluice-host queue_full 17");
  EXPECT_EQ(pg().Query("SELECT rows || ' ' || events FROM sluice.batches WHERE batch_id = 401"),
            "2 12345");
  EXPECT_EQ(counters_.aggregated.load(), 12345u);
  EXPECT_EQ(counters_.aggregate_rows.load(), 1u);
  EXPECT_EQ(counters_.shed_rows.load(), 1u);
  EXPECT_EQ(counters_.batches_skipped.load(), 1u);
}

TEST_F(WriterPoolTest, ABatchAlreadyInTheLedgerIsSkippedNotWrittenTwice) {
  auto spool = MakeSpool();
  WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(MakeBatch(77, 5, "twice")));
  ASSERT_TRUE(pool.Submit(MakeBatch(77, 5, "twice")));  // e.g. a retry after an unknown outcome
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("twice"), "5");
  EXPECT_EQ(counters_.batches_committed.load(), 1u);
  EXPECT_EQ(pg().Query("SELECT rows FROM sluice.batches WHERE batch_id = 77"), "5");
}

// A COMMIT whose reply never came (the connection dropped at its deadline) may have committed:
// when the batch is then found in the ledger, it was this process's own commit and its rows
// are counted as stored, so received = stored + ... still holds. Found in the ledger without
// that doubt, it was committed by an earlier run and is only skipped.
TEST_F(WriterPoolTest, ABatchWhoseCommitWasInDoubtIsCountedOnceFoundInTheLedger) {
  auto conn = PgConnection::Connect(pg().writer_conninfo(), "sluiced-pool-test");
  ASSERT_TRUE(conn);
  BatchWriter writer(std::move(*conn), "test:in-doubt");
  std::vector<format::Batch> first = {MakeBatch(501, 7, "doubt"), MakeBatch(502, 3, "doubt")};
  ASSERT_TRUE(writer.Write(first));  // committed; pretend its reply was lost for 501
  std::vector<format::Batch> again = {MakeBatch(501, 7, "doubt"), MakeBatch(502, 3, "doubt")};
  again[0].commit_in_doubt = true;
  Counters counters;
  ASSERT_TRUE(WriteCounted(writer, again, counters, "test"));
  EXPECT_EQ(counters.stored.load(), 7u);
  EXPECT_EQ(counters.batches_committed.load(), 1u);
  EXPECT_EQ(counters.batches_skipped.load(), 1u);
  EXPECT_EQ(Count("doubt"), "10");  // nothing written twice
}

TEST_F(WriterPoolTest, AnUnreadableBatchIsSetAsideWholeAndItsTransactionNeighboursLand) {
  format::Batch poison = MakeBatch(902, 5, "poison");
  poison.copy_data.replace(19, 2, "\x7f\x7f");  // a tuple with 32639 columns: refused
  auto spool = MakeSpool();
  // All three wait before the pool starts, so its one writer takes them into one transaction.
  ASSERT_TRUE(spool->Add(MakeBatch(901, 5, "neighbour")));
  ASSERT_TRUE(spool->Add(std::move(poison)));
  ASSERT_TRUE(spool->Add(MakeBatch(903, 5, "neighbour")));
  {
    WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    pool.Stop();
  }
  EXPECT_EQ(Count("neighbour"), "10");
  EXPECT_EQ(Count("poison"), "0");
  EXPECT_EQ(counters_.dead_lettered.load(), 5u);
  EXPECT_EQ(counters_.shed_rejected.load(), 0u);
  EXPECT_EQ(counters_.stored.load(), 10u);
  EXPECT_EQ(pg().Query("SELECT row_in_batch || ' ' || (raw IS NULL) || ' ' || "
                       "(length(copy_tuple) > 0) FROM sluice.dead_letters WHERE batch_id = 902"),
            "-1 true true");
}

TEST_F(WriterPoolTest, RefusedRowsAreSetAsideAndTheRestOfTheirBatchLandsOnce) {
  pg().Query(
      "ALTER TABLE sluice.events ADD CONSTRAINT test_no_poison CHECK (raw NOT LIKE '%POISON%')");
  format::Batch batch = MakeBatch(904, 10, "normal");
  // Rows 3 and 7 carry the poison: as long as "normal", so the stream stays well formed.
  auto tuples = format::CopyDecoder::SplitTuples(batch.copy_data);
  ASSERT_TRUE(tuples);
  std::string copy = batch.copy_data;
  for (size_t row : {3u, 7u}) {
    size_t at = static_cast<size_t>((*tuples)[row].data() - batch.copy_data.data());
    copy.replace(copy.find("normal", at), 6, "POISON");
  }
  batch.copy_data = copy;
  format::Batch again = batch;  // sent twice: the second is skipped by the ledger
  auto spool = MakeSpool();
  {
    WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
    ASSERT_TRUE(pool.Submit(std::move(batch)));
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    ASSERT_TRUE(pool.Submit(std::move(again)));
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    pool.Stop();
  }
  pg().Query("ALTER TABLE sluice.events DROP CONSTRAINT test_no_poison");
  EXPECT_EQ(Count("normal"), "8");
  EXPECT_EQ(pg().Query("SELECT string_agg(row_in_batch || ':' || raw, ',' ORDER BY row_in_batch) "
                       "FROM sluice.dead_letters WHERE batch_id = 904"),
            "3:POISON,7:POISON");
  EXPECT_NE(pg().Query("SELECT min(error) FROM sluice.dead_letters WHERE batch_id = 904")
                .find("test_no_poison"),
            std::string::npos);
  EXPECT_EQ(pg().Query("SELECT rows || '/' || events FROM sluice.batches WHERE batch_id = 904"),
            "8/10");
  EXPECT_EQ(counters_.stored.load(), 8u);
  EXPECT_EQ(counters_.dead_lettered.load(), 2u);
  EXPECT_EQ(counters_.batches_committed.load(), 1u);
}

TEST_F(WriterPoolTest, RefusedRowsThatCannotBeSetAsideAreShedAndDoNotBlockTheQueue) {
  // Poisoned rows, and a ledger that refuses the correction of its row count: nothing of the
  // batch can be committed, so it is counted as shed and the next batch still lands.
  pg().Query(
      "ALTER TABLE sluice.events ADD CONSTRAINT test_no_poison CHECK (raw NOT LIKE '%POISON%')");
  pg().Query(
      "ALTER TABLE sluice.batches ADD CONSTRAINT test_all_rows CHECK (rows = events) NOT VALID");
  auto spool = MakeSpool();
  {
    WriterPool pool(Options(1), *spool, counters_, DefaultEnv().clock);
    ASSERT_TRUE(pool.Submit(MakeBatch(905, 4, "POISON")));
    ASSERT_TRUE(pool.Submit(MakeBatch(906, 4, "after")));
    ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
    pool.Stop();
  }
  pg().Query("ALTER TABLE sluice.batches DROP CONSTRAINT test_all_rows");
  pg().Query("ALTER TABLE sluice.events DROP CONSTRAINT test_no_poison");
  EXPECT_EQ(Count("after"), "4");
  EXPECT_EQ(pg().Query("SELECT count(*) FROM sluice.batches WHERE batch_id = 905"), "0");
  EXPECT_EQ(counters_.shed_rejected.load(), 4u);
  EXPECT_EQ(counters_.dead_lettered.load(), 0u);
  EXPECT_EQ(counters_.batches_committed.load(), 1u);
}

TEST_F(WriterPoolTest, NeverMoreConnectionsThanWriters) {
  auto spool = MakeSpool();
  WriterPool pool(Options(3), *spool, counters_, DefaultEnv().clock);
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
  pool.Stop();
  EXPECT_EQ(Count("conns"), "10000");
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, 3);
}

TEST_F(WriterPoolTest, WhileTheDatabaseIsUnreachableBatchesSpillToDiskUpToItsCap) {
  WriterPoolOptions options = Options(1);
  options.conninfo = "host=/nonexistent-sluice-dir";  // never connects: nothing drains
  auto spool = MakeSpool(16 << 10, 64 << 10);
  WriterPool pool(options, *spool, counters_, DefaultEnv().clock);
  int accepted = 0;
  for (uint64_t id = 1; id <= 400; ++id) accepted += pool.Submit(MakeBatch(id, 10, "cap"));
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 400);
  EXPECT_LE(spool->memory_bytes(), size_t{16 << 10});
  EXPECT_LE(spool->disk_bytes(), uint64_t{64 << 10});
  EXPECT_GT(counters_.spooled_batches.load(), 0u);
  pool.Stop();
  EXPECT_EQ(spool->waiting_batches(), static_cast<size_t>(accepted));
}

TEST_F(WriterPoolTest, ReconnectsAfterTheServerRestartsAndLosesNothing) {
  auto spool = MakeSpool();
  WriterPool pool(Options(2), *spool, counters_, DefaultEnv().clock);
  ASSERT_TRUE(pool.Submit(MakeBatch(5000, 10, "restart")));
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  ASSERT_TRUE(pg().Stop());
  for (uint64_t id = 5001; id <= 5020; ++id) ASSERT_TRUE(pool.Submit(MakeBatch(id, 10, "restart")));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(pg().Start());
  ASSERT_TRUE(pool.Drain(std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  pool.Stop();
  EXPECT_EQ(Count("restart"), "210");
  EXPECT_GT(counters_.db_errors.load(), 0u);
}

}  // namespace
}  // namespace sluice::sink
