// `sluice spool ls` and `sluice spool verify` on real segment files.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "spool/segment_reader.h"
#include "spool/segment_writer.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

class SpoolCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.File("spool"));
    std::ofstream(dir_.File("sluice.toml"))
        << "[database]\nconninfo = \"\"\n[spool]\ndir = \"" << dir_.File("spool") << "\"\n";
  }
  std::string WriteSegment(const std::string& name, int batches) {
    std::string path = dir_.File("spool/" + name);
    auto writer = spool::SegmentWriter::Create(path, 3);
    EXPECT_TRUE(writer);
    for (int i = 0; i < batches; ++i) {
      pipeline::Batch batch;
      batch.id = static_cast<uint64_t>(i + 1);
      batch.rows = 10;
      batch.copy_data = std::string(4000, 'r') + std::to_string(i);
      EXPECT_TRUE((*writer)->Append(batch).has_value());
    }
    return path;
  }
  ProcessResult Run(const std::string& verb) {
    return RunProcess({SLUICE_CLI, "spool", verb, "--config", dir_.File("sluice.toml")});
  }
  TempDir dir_;
};

TEST_F(SpoolCliTest, ListShowsBatchesRowsAndRatio) {
  WriteSegment("seg-00000000000000000001.sgz", 3);
  ProcessResult r = Run("ls");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("seg-00000000000000000001.sgz"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 segments, 3 batches, 30 rows"), std::string::npos) << r.output;
}

TEST_F(SpoolCliTest, VerifyIsCleanOnIntactSegments) {
  WriteSegment("seg-00000000000000000001.sgz", 2);
  ProcessResult r = Run("verify");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 segments, 2 intact batches, 0 segments with damage"),
            std::string::npos)
      << r.output;
}

TEST_F(SpoolCliTest, VerifyReportsAFlippedByteAndATornTail) {
  std::string flipped = WriteSegment("seg-00000000000000000001.sgz", 3);
  std::string torn = WriteSegment("seg-00000000000000000002.sgz", 2);
  auto contents = spool::ReadSegment(flipped);
  ASSERT_TRUE(contents);
  {
    std::fstream f(flipped, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(contents->batches[1].offset + 12));
    f.put('\x42');
  }
  std::filesystem::resize_file(torn, std::filesystem::file_size(torn) - 3);
  ProcessResult r = Run("verify");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("seg-00000000000000000001.sgz: bytes "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("damaged"), std::string::npos);
  EXPECT_NE(r.output.find("seg-00000000000000000002.sgz: torn tail"), std::string::npos);
  EXPECT_NE(r.output.find("2 segments, 3 intact batches, 2 segments with damage"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace sluice
