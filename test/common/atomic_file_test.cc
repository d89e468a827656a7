#include "common/atomic_file.h"

#include <cerrno>

#include <gtest/gtest.h>

#include "common/posix_file_system.h"
#include "support/fault_injection_file_system.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

std::string Contents(FileSystem& fs, const std::string& path) {
  auto file = fs.NewRandomAccessFile(path);
  if (!file) return "<missing>";
  auto size = (*file)->Size();
  auto text = (*file)->Read(0, *size);
  return text ? *text : "<unreadable>";
}

TEST(AtomicFileTest, ReplacesTheFileAndLeavesNoTemporary) {
  testing::TempDir dir;
  PosixFileSystem fs;
  const std::string path = dir.File("list");
  ASSERT_TRUE(WriteFileAtomically(fs, path, "old\n", path + ".new"));
  ASSERT_TRUE(WriteFileAtomically(fs, path, "new\n", path + ".new"));
  EXPECT_EQ(Contents(fs, path), "new\n");
  EXPECT_EQ(*fs.ListDir(dir.path()), std::vector<std::string>{"list"});
}

// A write, a sync or the rename failing (EIO, ENOSPC) leaves the old file whole and no
// temporary behind; one left by an earlier crash is replaced.
TEST(AtomicFileTest, AFailureAtAnyStepLeavesTheOldFileAndNoTemporary) {
  testing::TempDir dir;
  PosixFileSystem posix;
  testing::FaultInjectionFileSystem fs(posix);
  const std::string path = dir.File("list");
  ASSERT_TRUE(WriteFileAtomically(fs, path, "old\n", path + ".new"));
  for (testing::FileOp op : {testing::FileOp::kCreate, testing::FileOp::kAppend,
                             testing::FileOp::kSync, testing::FileOp::kRename}) {
    fs.FailNext(op, op == testing::FileOp::kAppend ? ENOSPC : EIO);
    EXPECT_FALSE(WriteFileAtomically(fs, path, "new\n", path + ".new"));
    EXPECT_EQ(Contents(fs, path), "old\n");
    EXPECT_EQ(*fs.ListDir(dir.path()), std::vector<std::string>{"list"});
  }
  auto crashed = fs.NewWritableFile(path + ".new");  // a crash mid-write left this
  ASSERT_TRUE(crashed);
  ASSERT_TRUE((*crashed)->Append("half a li"));
  crashed->reset();
  ASSERT_TRUE(WriteFileAtomically(fs, path, "new\n", path + ".new"));
  EXPECT_EQ(Contents(fs, path), "new\n");
  EXPECT_EQ(*fs.ListDir(dir.path()), std::vector<std::string>{"list"});
}

}  // namespace
}  // namespace sluice
