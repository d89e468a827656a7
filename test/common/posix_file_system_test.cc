#include "common/posix_file_system.h"

#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/fault_injection_file_system.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

class PosixFileSystemTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  PosixFileSystem fs_;
};

TEST_F(PosixFileSystemTest, WritesReadsListsRenamesAndRemoves) {
  std::string path = dir_.File("a");
  auto file = fs_.NewWritableFile(path);
  ASSERT_TRUE(file) << file.error().message();
  ASSERT_TRUE((*file)->Append("hello "));
  ASSERT_TRUE((*file)->Append("world"));
  ASSERT_TRUE((*file)->Sync());
  ASSERT_TRUE((*file)->Truncate(5));
  ASSERT_TRUE((*file)->Append("!"));
  auto reader = fs_.NewRandomAccessFile(path);
  ASSERT_TRUE(reader);
  EXPECT_EQ(*(*reader)->Size(), 6u);
  EXPECT_EQ(*(*reader)->Read(0, 6), "hello!");
  EXPECT_EQ(*(*reader)->Read(4, 2), "o!");
  auto past_end = (*reader)->Read(4, 10);
  ASSERT_FALSE(past_end);
  EXPECT_EQ(past_end.error().code(), ErrorCode::kIoError);

  ASSERT_TRUE(fs_.Rename(path, dir_.File("b")));
  EXPECT_EQ(*fs_.ListDir(dir_.path()), std::vector<std::string>{"b"});
  ASSERT_TRUE(fs_.SyncDir(dir_.path()));
  ASSERT_TRUE(fs_.Truncate(dir_.File("b"), 1));
  EXPECT_EQ(*(*fs_.NewRandomAccessFile(dir_.File("b")))->Size(), 1u);
  ASSERT_TRUE(fs_.Remove(dir_.File("b")));
  EXPECT_TRUE(fs_.ListDir(dir_.path())->empty());
}

TEST_F(PosixFileSystemTest, ErrorsNameThePathAndTheReason) {
  ASSERT_TRUE(fs_.NewWritableFile(dir_.File("x")));
  auto again = fs_.NewWritableFile(dir_.File("x"));  // never overwrites
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kIoError);
  EXPECT_NE(again.error().message().find(dir_.File("x")), std::string::npos);
  EXPECT_NE(again.error().message().find("File exists"), std::string::npos);
  EXPECT_FALSE(fs_.Remove(dir_.File("missing")));
  EXPECT_FALSE(fs_.ListDir(dir_.File("missing")));
  EXPECT_EQ(FileError("cannot write", "f", ENOSPC).code(), ErrorCode::kNoSpace);
  EXPECT_EQ(FileError("cannot write", "f", EDQUOT).code(), ErrorCode::kNoSpace);
}

TEST_F(PosixFileSystemTest, ASecondLockOnTheSameFileIsRefusedWithTheHoldersPid) {
  auto first = fs_.LockFile(dir_.File("LOCK"));
  ASSERT_TRUE(first);
  auto second = fs_.LockFile(dir_.File("LOCK"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(second.error().message(), std::to_string(::getpid()));
  first->reset();
  EXPECT_TRUE(fs_.LockFile(dir_.File("LOCK")));
}

TEST(FaultInjectionFileSystemTest, FailsTheChosenCallsAndCountsEveryCall) {
  testing::TempDir dir;
  PosixFileSystem posix;
  testing::FaultInjectionFileSystem fs(posix);
  fs.FailNext(testing::FileOp::kSync, EIO, /*times=*/1, /*after=*/1);
  auto file = fs.NewWritableFile(dir.File("f"));
  ASSERT_TRUE(file);
  EXPECT_TRUE((*file)->Sync());
  auto failed = (*file)->Sync();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::kIoError);
  EXPECT_TRUE((*file)->Sync());
  EXPECT_EQ(fs.calls(testing::FileOp::kSync), 3u);

  fs.ShortWriteNext(3);
  auto cut = (*file)->Append("abcdef");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(*(*posix.NewRandomAccessFile(dir.File("f")))->Size(), 3u);  // the part written

  fs.SetNoSpace(true);
  EXPECT_EQ(fs.NewWritableFile(dir.File("g")).error().code(), ErrorCode::kNoSpace);
  EXPECT_FALSE(posix.NewRandomAccessFile(dir.File("g")));  // nothing was created
}

TEST(FakeClockTest, WaitsEndWhenTheClockIsMovedNotWhenRealTimePasses) {
  testing::FakeClock clock(5'000'000);
  EXPECT_EQ(clock.WallMicros(), 5'000'000);
  Mutex mu;
  std::condition_variable_any cv;
  bool woke = false;
  std::thread waiter([&] {
    MutexLock lock(mu);
    woke = !clock.WaitFor(cv, lock, {}, std::chrono::seconds(10), [] { return false; });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto before = clock.Now();
  clock.Advance(std::chrono::seconds(11));
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(clock.Now() - before, std::chrono::seconds(11));
  EXPECT_EQ(clock.WallMicros(), 16'000'000);
}

}  // namespace
}  // namespace sluice
