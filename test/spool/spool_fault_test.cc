// The spool on a disk that fails: each kind of fault the fault-injecting file system can make,
// and what the spool does about it. Tests named CurrentBehaviour_* pin down what the spool does
// today where that is not yet what it should do; they are the starting point of the fixes that
// make every such case lose nothing uncounted.
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/posix_file_system.h"
#include "spool/segment_reader.h"
#include "spool/spool.h"
#include "support/fake_clock.h"
#include "support/fault_injection_file_system.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice::spool {
namespace {

using testing::FileOp;

format::Batch MakeBatch(uint64_t id, uint32_t rows = 20) {
  format::Batch batch;
  batch.id = id;
  batch.rows = rows;
  for (uint32_t i = 0; i < rows; ++i) {
    batch.copy_data +=
        "reject from 198.18.0." + std::to_string(i) + " in batch " + std::to_string(id) + "\n";
  }
  return batch;
}

class SpoolFaultTest : public ::testing::Test {
 protected:
  // A spool in wal mode on the fault-injecting file system, its sync thread on the fake clock
  // (it syncs only when the test advances the clock by `sync_interval`).
  std::unique_ptr<Spool> Open(size_t memory_bytes = 1 << 20) {
    SpoolOptions options;
    options.dir = dir();
    options.mode = SpoolMode::kWal;
    options.sync_interval = std::chrono::milliseconds(100);
    options.memory_bytes = memory_bytes;
    auto spool = Spool::Open(options, env_, counters_);
    EXPECT_TRUE(spool) << spool.error().message();
    return spool ? std::move(*spool) : nullptr;
  }
  std::string dir() const { return temp_.File("spool"); }
  std::vector<std::string> Segments() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir())) {
      if (e.path().extension() == ".sgz") names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  // Takes and commits everything waiting; the ids taken.
  std::multiset<uint64_t> TakeAll(Spool& spool) {
    std::multiset<uint64_t> ids;
    std::stop_source stop;
    while (spool.waiting_batches() > 0) {
      std::vector<format::Batch> batches = spool.Take(stop.get_token(), 4, 1 << 20);
      if (batches.empty()) break;
      for (const auto& b : batches) {
        ids.insert(b.id);
        EXPECT_EQ(b.copy_data, MakeBatch(b.id, b.rows).copy_data);
      }
      spool.Commit(batches);
    }
    return ids;
  }

  testing::TempDir temp_;
  PosixFileSystem posix_;
  testing::FaultInjectionFileSystem fs_{posix_};
  testing::FakeClock clock_;
  Env env_{fs_, clock_};
  Counters counters_;
};

TEST_F(SpoolFaultTest, AFullDiskKeepsTheBatchesInMemoryAndWritingResumesWhenThereIsRoom) {
  auto spool = Open();
  fs_.SetNoSpace(true);
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  EXPECT_TRUE(Segments().empty());  // no file was created, empty or not
  fs_.SetNoSpace(false);
  ASSERT_TRUE(spool->Add(MakeBatch(3)));
  ASSERT_EQ(Segments().size(), 1u);
  auto contents = ReadSegment(posix_, Segments()[0]);
  ASSERT_TRUE(contents);
  ASSERT_EQ(contents->batches.size(), 1u);
  EXPECT_EQ(contents->batches[0].batch.id, 3u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3}));
}

TEST_F(SpoolFaultTest, AnIoErrorOnAppendKeepsTheBatchInMemoryAndTheSegmentIntact) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  fs_.FailNext(FileOp::kAppend, EIO);
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  ASSERT_TRUE(spool->Add(MakeBatch(3)));
  ASSERT_EQ(Segments().size(), 1u);
  auto contents = ReadSegment(posix_, Segments()[0]);
  ASSERT_TRUE(contents);
  EXPECT_TRUE(contents->clean());
  ASSERT_EQ(contents->batches.size(), 2u);
  EXPECT_EQ(contents->batches[1].batch.id, 3u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3}));
}

TEST_F(SpoolFaultTest, AShortWriteIsCutOffSoTheSegmentStillEndsAtARecord) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  fs_.ShortWriteNext(10);  // half a record header reaches the file, then the disk is full
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  ASSERT_TRUE(spool->Add(MakeBatch(3)));
  ASSERT_EQ(Segments().size(), 1u);
  auto contents = ReadSegment(posix_, Segments()[0]);
  ASSERT_TRUE(contents);
  EXPECT_TRUE(contents->clean()) << "torn " << contents->torn_tail << ", damaged regions "
                                 << contents->damage.size();
  ASSERT_EQ(contents->batches.size(), 2u);
  EXPECT_EQ(contents->batches[0].batch.id, 1u);
  EXPECT_EQ(contents->batches[1].batch.id, 3u);
  EXPECT_EQ(fs_.calls(FileOp::kTruncate), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3}));
}

TEST_F(SpoolFaultTest, TheSyncThreadRunsOnTheInjectedClock) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fs_.calls(FileOp::kSync), 0u);  // real time passing does not sync
  clock_.Advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(testing::WaitUntil([&] { return counters_.spool_syncs.load() == 1; },
                                 std::chrono::seconds(10)));
  EXPECT_EQ(fs_.calls(FileOp::kSync), 1u);
}

// A failed fdatasync may have dropped the dirty pages it could not write (Linux marks them
// clean), so a later fdatasync of the same file proves nothing (the "fsyncgate" lesson): the
// batches still in memory are written again to a new segment, which is synced in its turn.
TEST_F(SpoolFaultTest, AfterAFailedSyncTheBatchesAreRewrittenToANewSegment) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  ASSERT_EQ(Segments().size(), 1u);
  const std::string first = Segments()[0];
  fs_.FailNext(FileOp::kSync, EIO);
  Status failed = spool->Sync();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::kIoError);
  EXPECT_EQ(counters_.spool_sync_failures.load(), 1u);
  EXPECT_EQ(counters_.spool_rewritten.load(), 2u);
  EXPECT_EQ(counters_.spool_at_risk_events.load(), 0u);
  ASSERT_EQ(Segments().size(), 1u);  // the failed one is gone, its batches are in the new one
  EXPECT_NE(Segments()[0], first);
  EXPECT_TRUE(spool->Sync());
  EXPECT_EQ(counters_.spool_syncs.load(), 1u);
  auto contents = ReadSegment(posix_, Segments()[0]);
  ASSERT_TRUE(contents);
  EXPECT_EQ(contents->batches.size(), 2u);
  ASSERT_TRUE(spool->Add(MakeBatch(3)));  // appends go on, to the new segment
  EXPECT_EQ(Segments().size(), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3}));  // each once
}

// Batches only on disk cannot be rewritten: they are counted and reported at risk, and still
// sent as they are.
TEST_F(SpoolFaultTest, AfterAFailedSyncBatchesOnlyOnDiskAreReportedAtRisk) {
  auto spool = Open(/*memory_bytes=*/16);
  ASSERT_TRUE(spool->Add(MakeBatch(1, 20)));
  fs_.FailNext(FileOp::kSync, EIO);
  ASSERT_FALSE(spool->Sync());
  EXPECT_EQ(counters_.spool_at_risk_events.load(), 20u);
  EXPECT_EQ(counters_.spool_rewritten.load(), 0u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1}));
}

TEST_F(SpoolFaultTest, TheDirectoryIsSyncedAfterASegmentIsCreatedAndAfterItIsRemoved) {
  auto spool = Open();
  ASSERT_TRUE(spool->Sync());  // what recovery changed: the spool and quarantine directories
  uint64_t at_open = fs_.calls(FileOp::kSyncDir);
  EXPECT_EQ(at_open, 2u);
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  ASSERT_TRUE(spool->Sync());
  EXPECT_EQ(fs_.calls(FileOp::kSyncDir), at_open + 1);  // the new segment's name
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1}));
  EXPECT_TRUE(Segments().empty());
  ASSERT_TRUE(spool->Sync());
  EXPECT_EQ(fs_.calls(FileOp::kSyncDir), at_open + 2);  // its removal
}

// A read that fails with EIO says nothing about the bytes on disk: the batch waits to be
// read again, and is not counted as lost.
TEST_F(SpoolFaultTest, AReadErrorKeepsTheBatchToBeReadAgain) {
  auto spool = Open(/*memory_bytes=*/16);  // too small for any batch: Take() reads the disk
  ASSERT_TRUE(spool->Add(MakeBatch(1, 20)));
  fs_.FailNext(FileOp::kRead, EIO);
  std::stop_source stop;
  EXPECT_TRUE(spool->Take(stop.get_token(), 4, 1 << 20).empty());
  EXPECT_EQ(counters_.spool_read_errors.load(), 1u);
  EXPECT_EQ(counters_.shed.load(), 0u);
  EXPECT_EQ(counters_.quarantined_segments.load(), 0u);
  EXPECT_EQ(spool->waiting_batches(), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1}));
}

// A record whose bytes no longer decode is lost: counted as shed (spool_damaged), its
// segment quarantined once emptied, and the batches around it still taken.
TEST_F(SpoolFaultTest, ADamagedRecordIsCountedAndTheOthersStillTaken) {
  auto spool = Open(/*memory_bytes=*/16);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id, 20)));
  ASSERT_EQ(Segments().size(), 1u);
  auto contents = ReadSegment(posix_, Segments()[0]);
  ASSERT_TRUE(contents);
  ASSERT_EQ(contents->batches.size(), 3u);
  {  // flip a byte inside the second record's zstd frame
    std::fstream file(Segments()[0], std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(contents->batches[1].offset + 20));
    file.put('\x5a');
  }
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 3}));
  EXPECT_EQ(counters_.shed_spool_damaged.load(), 20u);
  EXPECT_EQ(counters_.quarantined_segments.load(), 1u);
  EXPECT_EQ(spool->waiting_batches(), 0u);
}

// When the disk fills while a segment's header is written, the file is removed again: no
// empty segment file is left behind, whichever batch tried.
TEST_F(SpoolFaultTest, NoSpaceForASegmentHeaderLeavesNoFileBehind) {
  auto spool = Open();
  fs_.FailNext(FileOp::kAppend, ENOSPC, 3);
  for (uint64_t id = 1; id <= 3; ++id) ASSERT_TRUE(spool->Add(MakeBatch(id)));  // in memory
  EXPECT_TRUE(Segments().empty());
  EXPECT_EQ(fs_.calls(FileOp::kRemove), 3u);
  ASSERT_TRUE(spool->Add(MakeBatch(4)));  // room again
  EXPECT_EQ(Segments().size(), 1u);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 2, 3, 4}));
}

TEST_F(SpoolFaultTest, OddSegmentNamesAreMovedAsideAndTheRestRecovered) {
  {
    auto spool = Open(/*memory_bytes=*/16);
    ASSERT_TRUE(spool->Add(MakeBatch(1)));
    ASSERT_TRUE(spool->Sync());
  }
  ASSERT_EQ(Segments().size(), 1u);
  std::filesystem::copy_file(Segments()[0], dir() + "/seg-7.sgz");  // short, but a segment
  std::ofstream(dir() + "/seg-123456789012345678901234.sgz") << "too many digits";
  std::ofstream(dir() + "/seg-x.sgz") << "not a number";
  std::ofstream(dir() + "/notes.txt") << "not ours: left alone";
  auto spool = Open();
  ASSERT_TRUE(spool);
  EXPECT_EQ(counters_.quarantined_segments.load(), 2u);
  EXPECT_TRUE(std::filesystem::exists(dir() + "/quarantine/seg-x.sgz"));
  EXPECT_TRUE(std::filesystem::exists(dir() + "/notes.txt"));
  // Both copies of batch 1 are recovered: the ledger keeps it from landing twice.
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1, 1}));
  ASSERT_TRUE(spool->Add(MakeBatch(2)));  // new segments are numbered past seg-7
  EXPECT_TRUE(std::filesystem::exists(dir() + "/seg-00000000000000000008.sgz"));
}

TEST_F(SpoolFaultTest, AnUnreadableDirectoryRefusesToOpenWithTheReason) {
  ASSERT_TRUE(posix_.CreateDirs(dir()));
  fs_.FailNext(FileOp::kList, EIO);
  SpoolOptions options;
  options.dir = dir();
  auto spool = Spool::Open(options, env_, counters_);
  ASSERT_FALSE(spool);
  EXPECT_EQ(spool.error().code(), ErrorCode::kIoError);
  EXPECT_NE(spool.error().message().find(dir()), std::string::npos) << spool.error().message();
}

TEST_F(SpoolFaultTest, RemovingACommittedSegmentThatFailsIsLoggedAndTheSpoolGoesOn) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(MakeBatch(1)));
  fs_.FailNext(FileOp::kRemove, EIO);
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{1}));
  EXPECT_EQ(Segments().size(), 1u);  // left behind; the next start finds it already committed
  ASSERT_TRUE(spool->Add(MakeBatch(2)));
  EXPECT_EQ(TakeAll(*spool), (std::multiset<uint64_t>{2}));
}

}  // namespace
}  // namespace sluice::spool
