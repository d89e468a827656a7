#include "spool/spool.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/env.h"
#include "spool/segment_reader.h"
#include "support/temp_dir.h"

namespace sluice::spool {
namespace {

using testing::TempDir;

format::Batch MakeBatch(uint64_t id, uint32_t rows = 20) {
  format::Batch batch;
  batch.id = id;
  batch.rows = rows;
  for (uint32_t i = 0; i < rows; ++i) {
    batch.copy_data += "NOQUEUE: reject: RCPT from unknown[198.18.0." + std::to_string(i) +
                       "]: 554 5.7.1 blocked using zen.spamhaus.org; batch " + std::to_string(id) +
                       "\n";
  }
  return batch;
}

// A cap whose detail part (Spool::DetailCap) holds exactly `bytes`.
size_t CapForDetails(size_t bytes) { return bytes + (bytes + 14) / 15; }

std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".sgz") names.push_back(e.path().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class SpoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<Spool> Open(size_t memory_bytes, uint64_t disk_bytes = 1 << 30,
                              uint64_t segment_bytes = 64 << 20,
                              SpoolMode mode = SpoolMode::kSpill) {
    SpoolOptions options;
    options.dir = dir_.File("spool");
    options.mode = mode;
    options.sync_interval = std::chrono::milliseconds(10);
    options.memory_bytes = memory_bytes;
    options.disk_bytes = disk_bytes;
    options.segment_bytes = segment_bytes;
    auto spool = Spool::Open(options, DefaultEnv(), counters_);
    EXPECT_TRUE(spool) << spool.error().message();
    return spool ? std::move(*spool) : nullptr;
  }
  // Takes everything waiting, commits it, and returns the ids seen.
  std::multiset<uint64_t> TakeAll(Spool& spool) {
    std::multiset<uint64_t> ids;
    std::stop_source stop;
    while (spool.waiting_batches() > 0) {
      std::vector<format::Batch> batches = spool.Take(stop.get_token(), 4, 1 << 20);
      for (const auto& b : batches) {
        ids.insert(b.id);
        EXPECT_EQ(b.copy_data, MakeBatch(b.id, b.rows).copy_data);
      }
      spool.Commit(batches);
    }
    return ids;
  }
  TempDir dir_;
  Counters counters_;
};

// A bounded wait (the upkeep writer's, so it can do its hourly work on an idle host) comes
// back empty when nothing arrives, and with the batch when one does.
TEST_F(SpoolTest, TakeWithAMaximumWaitReturnsEmptyWhenNothingArrives) {
  auto spool = Open(1 << 20);
  std::stop_source stop;
  EXPECT_TRUE(
      spool->Take(stop.get_token(), 4, 1 << 20, nullptr, std::chrono::milliseconds(50)).empty());
  ASSERT_TRUE(spool->Add(MakeBatch(7, 3)));
  auto batches = spool->Take(stop.get_token(), 4, 1 << 20, nullptr, std::chrono::seconds(10));
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].id, 7u);
  spool->Commit(batches);
}

TEST_F(SpoolTest, MemoryFirstThenDiskAndEveryBatchComesBackOnce) {
  auto spool = Open(CapForDetails(3 * MakeBatch(0).copy_data.size()));
  for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
  EXPECT_LE(spool->memory_bytes(), 3 * MakeBatch(0).copy_data.size());
  EXPECT_GT(spool->disk_bytes(), 0u);
  EXPECT_EQ(counters_.spooled_batches.load(), 7u);
  std::multiset<uint64_t> ids = TakeAll(*spool);
  EXPECT_EQ(ids, (std::multiset<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(spool->memory_bytes(), 0u);
}

TEST_F(SpoolTest, WalWritesEveryBatchToDiskAndCachesWhatFitsInMemory) {
  const size_t batch_size = MakeBatch(0).copy_data.size();
  auto spool = Open(CapForDetails(3 * batch_size), 1 << 30, 64 << 20, SpoolMode::kWal);
  for (uint64_t id = 1; id <= 10; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
  EXPECT_EQ(counters_.spooled_batches.load(), 10u);
  EXPECT_EQ(spool->memory_bytes(), 3 * batch_size);
  EXPECT_EQ(counters_.spool_memory_bytes.load(), 3 * batch_size);
  EXPECT_EQ(counters_.spool_events.load(), 10u * 20u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(spool->memory_bytes(), 0u);
  EXPECT_EQ(counters_.spool_events.load(), 0u);
}

TEST_F(SpoolTest, WalBatchesSurviveACrashWithoutShutdown) {
  {
    auto spool = Open(1 << 20, 1 << 30, 64 << 20, SpoolMode::kWal);
    for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
    std::stop_source stop;
    spool->Commit(spool->Take(stop.get_token(), 2, 1 << 20));  // 1 and 2 reached the database
    // No SpillMemory(): as after kill -9, only what is in the segment files remains.
  }
  auto spool = Open(1 << 20, 1 << 30, 64 << 20, SpoolMode::kWal);
  // The segment still holds 1 and 2 (it is deleted only once all of it is committed); the
  // ledger skips them when they are sent again.
  EXPECT_EQ(counters_.recovered_batches.load(), 5u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(SpoolTest, ACleanCloseLeavesNoCommittedSegmentBehind) {
  {
    auto spool = Open(1 << 20, 1 << 30, 64 << 20, SpoolMode::kWal);
    for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
    TakeAll(*spool);
  }
  EXPECT_TRUE(Segments(dir_.File("spool")).empty());
  auto spool = Open(1 << 20, 1 << 30, 64 << 20, SpoolMode::kWal);
  EXPECT_EQ(counters_.recovered_batches.load(), 0u);
}

TEST_F(SpoolTest, AppendedRecordsAreSyncedWithoutBeingAsked) {
  auto spool = Open(1 << 20, 1 << 30, 64 << 20, SpoolMode::kWal);
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (counters_.spool_syncs.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE(counters_.spool_syncs.load(), 1u);
  uint64_t syncs = counters_.spool_syncs.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(counters_.spool_syncs.load(), syncs);  // nothing new appended: nothing to sync
}

TEST_F(SpoolTest, WalKeepsBatchesInMemoryWhileTheDiskRefusesThem) {
  const size_t batch_size = MakeBatch(0).copy_data.size();
  auto spool = Open(CapForDetails(2 * batch_size), 0, 64 << 20, SpoolMode::kWal);  // no disk
  EXPECT_TRUE(spool->Add(MakeBatch(1)));
  EXPECT_TRUE(spool->Add(MakeBatch(2)));
  EXPECT_FALSE(spool->Add(MakeBatch(3)));  // neither disk nor memory: the caller sheds it
  EXPECT_EQ(counters_.spooled_batches.load(), 0u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2}));
}

TEST_F(SpoolTest, SummaryBatchesStillFitWhenDetailsNoLonger) {
  const size_t batch_size = MakeBatch(0).copy_data.size();
  auto spool = Open(0, CapForDetails(2 * batch_size) + 4096, 64 << 20, SpoolMode::kWal);
  uint64_t id = 1;
  while (spool->Add(MakeBatch(id))) ++id;  // details until their part of the disk is full
  EXPECT_FALSE(spool->HasRoomForDetail());
  format::Batch summary;  // aggregates and shed counts only: no detail rows
  summary.id = 100;
  summary.aggregate_data = std::string(64, 'a');
  summary.aggregate_rows = 1;
  summary.aggregated_events = 5000;
  summary.shed_data = std::string(32, 's');
  summary.shed_rows = 1;
  EXPECT_TRUE(spool->Add(std::move(summary)));
  EXPECT_EQ(counters_.spool_events.load(), (id - 1) * 20 + 5000);
  std::stop_source stop;
  std::vector<format::Batch> taken;
  while (spool->waiting_batches() > 0) {
    for (auto& batch : spool->Take(stop.get_token(), 8, 1 << 20)) taken.push_back(std::move(batch));
  }
  ASSERT_EQ(taken.back().id, 100u);
  EXPECT_EQ(taken.back().aggregate_data, std::string(64, 'a'));
  EXPECT_EQ(taken.back().shed_data, std::string(32, 's'));
  EXPECT_EQ(taken.back().aggregated_events, 5000u);
  spool->Commit(taken);
  EXPECT_TRUE(spool->HasRoomForDetail());
}

TEST_F(SpoolTest, CommittedSegmentsAreDeleted) {
  auto spool = Open(0, 1 << 30, 1);  // every batch on disk, a new segment for each
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
  EXPECT_EQ(Segments(dir_.File("spool")).size(), 5u);
  TakeAll(*spool);
  EXPECT_TRUE(Segments(dir_.File("spool")).empty());
  EXPECT_EQ(spool->disk_bytes(), 0u);
  ASSERT_TRUE(spool->Add(MakeBatch(6)));  // a new segment begins
  EXPECT_EQ(Segments(dir_.File("spool")).size(), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{6}));
}

TEST_F(SpoolTest, DiskCapRefusesInsteadOfGrowing) {
  auto spool = Open(0, 2000);
  int kept = 0;
  for (uint64_t id = 1; id <= 50; ++id) kept += spool->Add(MakeBatch(id));
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, 50);
  EXPECT_LE(spool->disk_bytes(), 2000u);
  EXPECT_EQ(TakeAll(*spool).size(), static_cast<size_t>(kept));
}

TEST_F(SpoolTest, ReturnedBatchesAreTakenAgainFirst) {
  auto spool = Open(1 << 20);
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  std::stop_source stop;
  auto first = spool->Take(stop.get_token(), 1, 1 << 20);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, 1u);
  spool->Return(std::move(first));
  auto again = spool->Take(stop.get_token(), 1, 1 << 20);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, 1u);
}

TEST_F(SpoolTest, TakeReturnsEmptyWhenStopped) {
  auto spool = Open(1 << 20);
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.request_stop();
  });
  EXPECT_TRUE(spool->Take(stop.get_token(), 1, 1 << 20).empty());
  stopper.join();
}

TEST_F(SpoolTest, ASecondSpoolOnTheSameDirectoryIsRefused) {
  auto spool = Open(1 << 20);
  SpoolOptions options;
  options.dir = dir_.File("spool");
  auto second = Spool::Open(options, DefaultEnv(), counters_);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message().find("is in use by another process"), std::string::npos);
}

TEST_F(SpoolTest, SpilledAndUncommittedBatchesAreRecoveredAfterARestart) {
  {
    auto spool = Open(2 * MakeBatch(0).copy_data.size());
    for (uint64_t id = 1; id <= 6; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
    std::stop_source stop;
    auto taken = spool->Take(stop.get_token(), 1, 1 << 20);
    ASSERT_EQ(taken.size(), 1u);
    spool->Return(std::move(taken));      // as a writer stopped mid-write does
    EXPECT_EQ(spool->SpillMemory(), 0u);  // as at shutdown: memory batches go to disk
  }
  // Batches 3-6 went to disk at once, 1-2 (1 taken and given back) at shutdown.
  auto spool = Open(1 << 20);
  EXPECT_EQ(counters_.recovered_batches.load(), 6u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(SpoolTest, TornTailIsCutAndTheWholeRecordsRecovered) {
  {
    auto spool = Open(0);
    for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
  }
  std::string segment = Segments(dir_.File("spool")).front();
  auto size = std::filesystem::file_size(segment);
  std::filesystem::resize_file(segment, size - 10);
  auto spool = Open(1 << 20);
  EXPECT_EQ(counters_.recovered_batches.load(), 2u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2}));
  EXPECT_EQ(counters_.quarantined_segments.load(), 0u);
}

TEST_F(SpoolTest, DamagedSegmentKeepsItsIntactBatchesAndIsQuarantined) {
  {
    auto spool = Open(0);
    for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));
  }
  std::string segment = Segments(dir_.File("spool")).front();
  auto contents = ReadSegment(DefaultEnv().fs, segment);
  ASSERT_TRUE(contents);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(contents->batches[1].offset + 20));
    f.put('\x55');
  }
  auto spool = Open(1 << 20);
  EXPECT_EQ(counters_.quarantined_segments.load(), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 3}));
  EXPECT_TRUE(Segments(dir_.File("spool")).empty());
  EXPECT_EQ(Segments(dir_.File("spool/quarantine")).size(), 1u);
}

TEST_F(SpoolTest, ABatchThatNoLongerReadsBackIsCountedAsShed) {
  auto spool = Open(0);  // every batch on disk only
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id, 20)));
  std::string segment = Segments(dir_.File("spool")).front();
  auto contents = ReadSegment(DefaultEnv().fs, segment);
  ASSERT_TRUE(contents);
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(contents->batches[1].offset + 20));
    f.put('\x55');  // damaged under the running spool (a bad disk, a stray write)
  }
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 3}));
  EXPECT_EQ(counters_.shed_spool_damaged.load(), 20u);
  EXPECT_EQ(counters_.shed.load(), 20u);
  EXPECT_EQ(counters_.quarantined_segments.load(), 1u);
}

TEST_F(SpoolTest, ForeignFileInTheSpoolIsQuarantinedAtStart) {
  std::filesystem::create_directories(dir_.File("spool"));
  std::ofstream(dir_.File("spool/seg-00000000000000000007.sgz")) << "garbage";
  auto spool = Open(1 << 20);
  EXPECT_EQ(counters_.quarantined_segments.load(), 1u);
  EXPECT_EQ(Segments(dir_.File("spool/quarantine")).size(), 1u);
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
}

TEST_F(SpoolTest, ALockFileThatIsALinkIsNotFollowed) {
  std::filesystem::create_directories(dir_.File("spool"));
  std::string target = dir_.File("elsewhere");
  { std::ofstream(target) << "keep me"; }
  std::filesystem::create_symlink(target, dir_.File("spool/LOCK"));
  SpoolOptions options;
  options.dir = dir_.File("spool");
  auto spool = Spool::Open(options, DefaultEnv(), counters_);
  ASSERT_FALSE(spool);
  EXPECT_NE(spool.error().message().find("LOCK"), std::string::npos) << spool.error().message();
  std::ifstream in(target);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "keep me");  // no pid written through the link
}

// A batch whose COMMIT outcome a writer never learned keeps that doubt while it waits again,
// in memory or read back from disk.
TEST_F(SpoolTest, ACommitInDoubtStaysWithTheBatchWhenReturned) {
  for (size_t memory : {size_t{1} << 20, size_t{16}}) {  // in memory; on disk only
    auto spool = Open(memory, 1 << 30, 64 << 20, SpoolMode::kWal);
    ASSERT_TRUE(spool->Add(MakeBatch(1)));
    std::stop_source stop;
    std::vector<format::Batch> taken = spool->Take(stop.get_token(), 4, 1 << 20);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_FALSE(taken[0].commit_in_doubt);
    taken[0].commit_in_doubt = true;
    spool->Return(std::move(taken));
    taken = spool->Take(stop.get_token(), 4, 1 << 20);
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_TRUE(taken[0].commit_in_doubt) << "memory " << memory;
    spool->Commit(taken);
  }
}

}  // namespace
}  // namespace sluice::spool
