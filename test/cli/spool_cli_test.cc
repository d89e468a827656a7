// `sluice spool ls|verify|cat` on real segment files.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/env.h"
#include "format/copy_encoder.h"
#include "spool/segment_reader.h"
#include "spool/segment_writer.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace sluice {
namespace {

using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

// A COPY stream of `rows` rows whose raw lines are "batch B row R".
std::string CopyStream(uint64_t batch, uint32_t rows) {
  std::string out;
  format::CopyEncoder::AppendHeader(out);
  for (uint32_t r = 0; r < rows; ++r) {
    std::string raw = "batch " + std::to_string(batch) + " row " + std::to_string(r);
    format::EventRow row;
    row.received_at_us = 1'795'878'146'000'000 + static_cast<int64_t>(batch * 1000 + r);
    row.raw = raw;
    row.program = "postfix/smtpd";
    format::CopyEncoder::AppendRow(out, row, static_cast<int64_t>(batch));
  }
  format::CopyEncoder::AppendTrailer(out);
  return out;
}

class SpoolCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.File("spool"));
    std::ofstream(dir_.File("sluice.toml"))
        << "[database]\nconninfo = \"\"\n[spool]\ndir = \"" << dir_.File("spool") << "\"\n";
  }
  std::string WriteSegment(const std::string& name, int batches) {
    std::string path = dir_.File("spool/" + name);
    auto writer = spool::SegmentWriter::Create(DefaultEnv().fs, path, 3);
    EXPECT_TRUE(writer);
    for (int i = 0; i < batches; ++i) {
      format::Batch batch;
      batch.id = static_cast<uint64_t>(i + 1);
      batch.rows = 10;
      batch.copy_data = CopyStream(batch.id, batch.rows);
      EXPECT_TRUE((*writer)->Append(batch).has_value());
    }
    return path;
  }
  ProcessResult Run(const std::string& verb, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {SLUICE_CLI, "spool", verb, "--config",
                                     dir_.File("sluice.toml")};
    args.insert(args.end(), more.begin(), more.end());
    return RunProcess(args);
  }
  TempDir dir_;
};

TEST_F(SpoolCliTest, ListShowsBatchesRowsAndRatio) {
  WriteSegment("seg-00000000000000000001.sgz", 3);
  ProcessResult r = Run("ls");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("seg-00000000000000000001.sgz"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 segments, 3 batches, 30 events"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2026-11-28T15:02:26.001000Z 2026-11-28T15:02:26.003009Z"),
            std::string::npos)
      << r.output;  // oldest and newest event
}

TEST_F(SpoolCliTest, CatPrintsEveryRowAsTextOrJson) {
  WriteSegment("seg-00000000000000000001.sgz", 2);
  std::string second = WriteSegment("seg-00000000000000000002.sgz", 1);
  ProcessResult text = Run("cat");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_EQ(std::count(text.output.begin(), text.output.end(), '\n'), 30) << text.output;
  EXPECT_NE(text.output.find("2026-11-28T15:02:26.002009Z\tbatch 2 row 9\n"), std::string::npos)
      << text.output;
  ProcessResult json = Run("cat", {"--json", second});
  EXPECT_EQ(json.exit_code, 0) << json.output;
  EXPECT_EQ(std::count(json.output.begin(), json.output.end(), '\n'), 10) << json.output;
  EXPECT_NE(json.output.find(R"({"received_at":"2026-11-28T15:02:26.001000Z","program":)"
                             R"("postfix/smtpd","raw":"batch 1 row 0","malformed":false,)"
                             R"("batch_id":1})"),
            std::string::npos)
      << json.output;
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
  auto contents = spool::ReadSegment(DefaultEnv().fs, flipped);
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
