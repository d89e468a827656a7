// The marks of followed files (format::SourceMark) in the spool: where following resumes after
// a restart or a crash, whatever the disk does.
#include "spool/follow_marks.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "common/posix_file_system.h"
#include "spool/spool.h"
#include "support/fake_clock.h"
#include "support/fault_injection_file_system.h"
#include "support/temp_dir.h"

namespace sluice::spool {
namespace {

using testing::FileOp;

const std::string kMainlog = "/var/log/exim4/mainlog";

format::Batch Marked(uint64_t id, uint64_t offset, uint32_t rows = 3) {
  format::Batch batch;
  batch.id = id;
  batch.rows = rows;
  for (uint32_t i = 0; i < rows; ++i) batch.copy_data += "row " + std::to_string(i) + "\n";
  batch.marks.push_back({kMainlog, {77, 1, offset}});
  return batch;
}

class FollowMarksTest : public ::testing::Test {
 protected:
  std::unique_ptr<Spool> Open(SpoolMode mode = SpoolMode::kWal) {
    SpoolOptions options;
    options.dir = temp_.File("spool");
    options.mode = mode;
    auto spool = Spool::Open(options, env_, counters_);
    EXPECT_TRUE(spool) << spool.error().message();
    return spool ? std::move(*spool) : nullptr;
  }
  // Takes what waits, at most `n` batches, and commits those whose ids are in `commit`.
  void TakeAndCommit(Spool& spool, const std::set<uint64_t>& commit) {
    std::stop_source stop;
    std::vector<format::Batch> taken = spool.Take(stop.get_token(), 16, 1 << 20);
    std::vector<format::Batch> committed, returned;
    for (auto& batch : taken) {
      (commit.count(batch.id) ? committed : returned).push_back(std::move(batch));
    }
    spool.Commit(committed);
    spool.Return(std::move(returned));
  }
  FilePosition PositionAfterReopen() {
    auto spool = Open();
    if (!spool) return {};
    auto found = spool->FollowPositions().find(kMainlog);
    return found == spool->FollowPositions().end() ? FilePosition{} : found->second;
  }

  testing::TempDir temp_;
  PosixFileSystem posix_;
  testing::FaultInjectionFileSystem fs_{posix_};
  testing::FakeClock clock_;
  Env env_{fs_, clock_};
  Counters counters_;
};

TEST_F(FollowMarksTest, UncommittedMarksAreFoundInTheSegmentsAtOpen) {
  {
    auto spool = Open();
    ASSERT_TRUE(spool->Add(Marked(10, 500)));
    ASSERT_TRUE(spool->Add(Marked(11, 900)));
  }  // as a crash leaves it: nothing committed
  EXPECT_EQ(PositionAfterReopen(), (FilePosition{77, 1, 900}));
}

TEST_F(FollowMarksTest, TheHighestBatchIdCountsWhateverOrderBatchesCommitIn) {
  {
    auto spool = Open();
    ASSERT_TRUE(spool->Add(Marked(10, 500)));
    ASSERT_TRUE(spool->Add(Marked(11, 900)));
    TakeAndCommit(*spool, {11});  // 10 is still in its segment
    auto saved = FollowMarks::Load(posix_, temp_.File("spool"));
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->Positions().at(kMainlog), (FilePosition{77, 1, 900}));
  }
  EXPECT_EQ(PositionAfterReopen(), (FilePosition{77, 1, 900}));
}

TEST_F(FollowMarksTest, CommittedMarksOutliveTheirDeletedSegments) {
  {
    auto spool = Open();
    ASSERT_TRUE(spool->Add(Marked(10, 500)));
    TakeAndCommit(*spool, {10});
  }
  for (const auto& entry : std::filesystem::directory_iterator(temp_.File("spool"))) {
    EXPECT_NE(entry.path().extension(), ".sgz") << "committed segments are deleted";
  }
  EXPECT_EQ(PositionAfterReopen(), (FilePosition{77, 1, 500}));
}

// In spill mode, too, a marked batch goes to disk: a mark only in memory would be lost with
// its batch while an older one says the lines were never read, or worse, the other way round.
TEST_F(FollowMarksTest, AMarkedBatchIsWrittenToDiskEvenInSpillMode) {
  {
    auto spool = Open(SpoolMode::kSpill);
    format::Batch unmarked = Marked(9, 0);
    unmarked.marks.clear();
    ASSERT_TRUE(spool->Add(std::move(unmarked)));
    EXPECT_EQ(spool->disk_bytes(), 0u) << "spill mode keeps batches in memory";
    ASSERT_TRUE(spool->Add(Marked(10, 500)));
    EXPECT_GT(spool->disk_bytes(), 0u);
  }
  EXPECT_EQ(PositionAfterReopen(), (FilePosition{77, 1, 500}));
}

TEST_F(FollowMarksTest, AMarkedBatchTheDiskRefusesIsRefusedWholeAndLeftAsItWas) {
  auto spool = Open();
  fs_.SetNoSpace(true);
  format::Batch batch = Marked(10, 500);
  EXPECT_FALSE(spool->Add(std::move(batch))) << "not kept in memory only";
  EXPECT_EQ(batch.marks.size(), 1u);  // NOLINT(bugprone-use-after-move): refused, left as it was
  EXPECT_EQ(batch.rows, 3u);          // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(spool->waiting_batches(), 0u);
  fs_.SetNoSpace(false);
  EXPECT_TRUE(spool->Add(std::move(batch)));
}

TEST_F(FollowMarksTest, AFailedSaveIsCountedAndTheNextOneCatchesUp) {
  auto spool = Open();
  ASSERT_TRUE(spool->Add(Marked(10, 500)));
  fs_.FailNext(FileOp::kSync, EIO);  // follow.marks.new's fdatasync
  TakeAndCommit(*spool, {10});
  EXPECT_EQ(counters_.follow_mark_errors.load(), 1u);
  auto saved = FollowMarks::Load(posix_, temp_.File("spool"));
  ASSERT_TRUE(saved);
  EXPECT_TRUE(saved->empty());
  ASSERT_TRUE(spool->Add(Marked(11, 900)));
  TakeAndCommit(*spool, {11});
  saved = FollowMarks::Load(posix_, temp_.File("spool"));
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->Positions().at(kMainlog), (FilePosition{77, 1, 900}));
}

TEST_F(FollowMarksTest, ADamagedMarksFileStopsTheOpenWithItsName) {
  std::filesystem::create_directories(temp_.File("spool"));
  std::ofstream(temp_.File("spool") + "/follow.marks") << "12 not a mark\n";
  SpoolOptions options;
  options.dir = temp_.File("spool");
  auto spool = Spool::Open(options, env_, counters_);
  ASSERT_FALSE(spool);
  EXPECT_NE(spool.error().message().find("follow.marks line 1"), std::string::npos)
      << spool.error().message();
}

TEST(FollowMarksFile, SourcesWithSpacesRoundTrip) {
  testing::TempDir temp;
  PosixFileSystem fs;
  FollowMarks marks;
  EXPECT_TRUE(marks.Note(5, {{"/var/log/with space/mail.log", {1, 0, 10}}}));
  EXPECT_FALSE(marks.Note(4, {{"/var/log/with space/mail.log", {1, 0, 99}}})) << "older batch";
  ASSERT_TRUE(marks.Save(fs, temp.path()));
  auto loaded = FollowMarks::Load(fs, temp.path());
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded->Positions(), marks.Positions());
  EXPECT_EQ(loaded->Positions().at("/var/log/with space/mail.log").offset, 10u);
}

}  // namespace
}  // namespace sluice::spool
