#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <zstd.h>

#include "common/env.h"
#include "spool/segment_format.h"
#include "spool/segment_reader.h"
#include "spool/segment_writer.h"
#include "support/temp_dir.h"

namespace sluice::spool {
namespace {

using testing::TempDir;

format::Batch MakeBatch(uint64_t id, uint32_t rows) {
  format::Batch batch;
  batch.id = id;
  batch.rows = rows;
  batch.malformed = rows / 10;
  for (uint32_t i = 0; i < rows; ++i) {
    batch.copy_data +=
        "<22>Nov 28 10:07:37 postfix/smtpd[26021]: NOQUEUE: reject: RCPT from "
        "unknown[198.18.0." +
        std::to_string(i % 256) + "]: 554 5.7.1 blocked; " + std::to_string(id) + "\n";
  }
  return batch;
}

// The segment at `path` as segment version 3 or 4 wrote it: frames without version 5's marks
// length and (empty) marks, record headers with (4) or without (3) their checksum.
std::string AsOlderSegment(const std::string& path, const SegmentContents& v5, uint32_t version,
                           const std::string& bytes) {
  constexpr size_t kMarksLengthAt = 68;
  std::string out = bytes.substr(0, v5.batches[0].offset);
  out[8] = static_cast<char>(version);
  for (const SpooledBatch& spooled : v5.batches) {
    EXPECT_TRUE(spooled.batch.marks.empty()) << path;
    std::string_view frame(bytes.data() + spooled.offset + kRecordHeaderSize,
                           spooled.stored_bytes - kRecordHeaderSize);
    std::string content(ZSTD_getFrameContentSize(frame.data(), frame.size()), '\0');
    ZSTD_decompress(content.data(), content.size(), frame.data(), frame.size());
    content.erase(kMarksLengthAt, 8);
    content.resize(content.size() - 4);  // the marks: a count of 0
    std::string compressed(ZSTD_compressBound(content.size()), '\0');
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    compressed.resize(
        ZSTD_compress2(cctx, compressed.data(), compressed.size(), content.data(), content.size()));
    ZSTD_freeCCtx(cctx);
    std::string header(kRecordMagic);
    PutLittleEndian(header, compressed.size(), 4);
    if (version >= 4) PutLittleEndian(header, RecordHeaderChecksum(header), 4);
    out.append(header).append(compressed);
  }
  return out;
}

class SegmentTest : public ::testing::Test {
 protected:
  std::string Write(const std::vector<format::Batch>& batches) {
    std::string path = dir_.File("seg-" + std::to_string(++n_));
    auto writer = SegmentWriter::Create(DefaultEnv().fs, path, 3);
    EXPECT_TRUE(writer) << writer.error().message();
    for (const auto& b : batches) EXPECT_TRUE((*writer)->Append(b).has_value());
    EXPECT_TRUE((*writer)->Sync());
    return path;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static void Overwrite(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  TempDir dir_;
  int n_ = 0;
};

TEST_F(SegmentTest, RoundTripKeepsEveryBatchAndCompresses) {
  std::vector<format::Batch> batches = {MakeBatch(1, 100), MakeBatch(2, 1), MakeBatch(3, 500)};
  std::string path = Write(batches);
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents) << contents.error().message();
  EXPECT_TRUE(contents->clean());
  ASSERT_EQ(contents->batches.size(), 3u);
  size_t raw = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(contents->batches[i].batch.id, batches[i].id);
    EXPECT_EQ(contents->batches[i].batch.rows, batches[i].rows);
    EXPECT_EQ(contents->batches[i].batch.malformed, batches[i].malformed);
    EXPECT_EQ(contents->batches[i].batch.copy_data, batches[i].copy_data);
    raw += batches[i].copy_data.size();
  }
  EXPECT_EQ(contents->valid_end, contents->file_bytes);
  EXPECT_LT(contents->file_bytes * 4, raw) << "reject lines compress well";
}

TEST_F(SegmentTest, EmptySegmentIsCleanAndHasNoBatches) {
  auto contents = ReadSegment(DefaultEnv().fs, Write({}));
  ASSERT_TRUE(contents);
  EXPECT_TRUE(contents->clean());
  EXPECT_TRUE(contents->batches.empty());
}

TEST_F(SegmentTest, TornTailKeepsEveryWholeRecordAndSaysWhereToCut) {
  std::string path = Write({MakeBatch(1, 50), MakeBatch(2, 50), MakeBatch(3, 50)});
  std::string bytes = Slurp(path);
  auto whole = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(whole);
  uint64_t third = whole->batches[2].offset;
  for (size_t cut : {third + 3, third + kRecordHeaderSize + 5, bytes.size() - 1}) {
    Overwrite(path, bytes.substr(0, cut));
    auto contents = ReadSegment(DefaultEnv().fs, path);
    ASSERT_TRUE(contents);
    EXPECT_TRUE(contents->torn_tail) << "cut at " << cut;
    EXPECT_TRUE(contents->damage.empty()) << contents->damage.front().reason;
    ASSERT_EQ(contents->batches.size(), 2u);
    EXPECT_EQ(contents->valid_end, third);
  }
}

TEST_F(SegmentTest, FlippedByteIsDamageAndTheRecordsAroundItSurvive) {
  std::string path = Write({MakeBatch(1, 50), MakeBatch(2, 50), MakeBatch(3, 50)});
  auto whole = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(whole);
  const SpooledBatch& middle = whole->batches[1];
  std::string bytes = Slurp(path);
  bytes[middle.offset + middle.stored_bytes / 2] ^= 0x20;
  Overwrite(path, bytes);
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents);
  EXPECT_FALSE(contents->torn_tail);
  ASSERT_EQ(contents->damage.size(), 1u);
  EXPECT_EQ(contents->damage[0].offset, middle.offset);
  EXPECT_EQ(contents->damage[0].length, middle.stored_bytes);
  ASSERT_EQ(contents->batches.size(), 2u);
  EXPECT_EQ(contents->batches[0].batch.id, 1u);
  EXPECT_EQ(contents->batches[1].batch.id, 3u);
}

TEST_F(SegmentTest, DamagedLengthFieldIsDamageNotATornTail) {
  std::string path = Write({MakeBatch(1, 50), MakeBatch(2, 50)});
  auto whole = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(whole);
  std::string bytes = Slurp(path);
  bytes[whole->batches[1].offset + 6] = 0x10;  // length now far past the end of the file
  Overwrite(path, bytes);
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents);
  EXPECT_FALSE(contents->torn_tail);
  ASSERT_EQ(contents->damage.size(), 1u);
  EXPECT_EQ(contents->batches.size(), 1u);
}

TEST_F(SegmentTest, ForeignOrFutureFilesAreCorruption) {
  std::string path = Write({MakeBatch(1, 5)});
  std::string bytes = Slurp(path);
  std::string future = bytes;
  future[8] = 9;
  Overwrite(path, future);
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_FALSE(contents);
  EXPECT_EQ(contents.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(contents.error().message().find("version 9"), std::string::npos);
  Overwrite(path, "not a segment at all");
  EXPECT_FALSE(ReadSegment(DefaultEnv().fs, path));
  EXPECT_EQ(ReadSegment(DefaultEnv().fs, dir_.File("missing")).error().code(), ErrorCode::kIoError);
}

TEST_F(SegmentTest, AppendWithoutRoomWritesNothing) {
  auto writer = SegmentWriter::Create(DefaultEnv().fs, dir_.File("room"), 3);
  ASSERT_TRUE(writer);
  auto first = (*writer)->Append(MakeBatch(1, 50));
  ASSERT_TRUE(first);
  uint64_t size = (*writer)->bytes();
  auto refused = (*writer)->Append(MakeBatch(2, 50), *first / 2);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ((*writer)->bytes(), size);
  auto contents = ReadSegment(DefaultEnv().fs, dir_.File("room"));
  ASSERT_TRUE(contents);
  EXPECT_EQ(contents->batches.size(), 1u);
  EXPECT_EQ(contents->file_bytes, size);
}

TEST_F(SegmentTest, ReadRecordAtReturnsTheBatchAtAnOffset) {
  std::string path = Write({MakeBatch(1, 5), MakeBatch(2, 7)});
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents);
  auto file = DefaultEnv().fs.NewRandomAccessFile(path);
  ASSERT_TRUE(file);
  auto batch = ReadRecordAt(**file, contents->batches[1].offset, contents->batches[1].stored_bytes,
                            contents->version);
  ASSERT_TRUE(batch) << batch.error().message();
  EXPECT_EQ(batch->id, 2u);
  EXPECT_EQ(batch->rows, 7u);
}

TEST_F(SegmentTest, CreateRefusesToOverwriteAnExistingSegment) {
  std::string path = Write({MakeBatch(1, 5)});
  auto again = SegmentWriter::Create(DefaultEnv().fs, path, 3);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kIoError);
}

// Version 4 checksums each record header: a damaged length field is damage, found and
// skipped, never mistaken for a torn tail (which would cut off the records after it).
TEST_F(SegmentTest, ADamagedRecordLengthIsCaughtByTheHeaderChecksum) {
  std::string path = Write({MakeBatch(1, 20), MakeBatch(2, 20), MakeBatch(3, 20)});
  auto whole = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->version, kSegmentVersion);
  std::string bytes = Slurp(path);
  bytes[whole->batches[1].offset + 7] = '\x7f';  // the length's high byte: far past the end
  Overwrite(path, bytes);
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents);
  EXPECT_FALSE(contents->torn_tail);
  ASSERT_EQ(contents->damage.size(), 1u);
  EXPECT_NE(contents->damage[0].reason.find("checksum"), std::string::npos);
  ASSERT_EQ(contents->batches.size(), 2u);
  EXPECT_EQ(contents->batches[1].batch.id, 3u);
}

// A version 3 segment (8-byte record headers, no checksum) left by an older sluice still reads.
TEST_F(SegmentTest, VersionThreeAndFourSegmentsStillRead) {
  for (uint32_t version : {3u, 4u}) {
    std::string path = Write({MakeBatch(1, 20), MakeBatch(2, 30)});
    auto v5 = ReadSegment(DefaultEnv().fs, path);
    ASSERT_TRUE(v5);
    Overwrite(path, AsOlderSegment(path, *v5, version, Slurp(path)));
    auto contents = ReadSegment(DefaultEnv().fs, path);
    ASSERT_TRUE(contents) << contents.error().message();
    EXPECT_EQ(contents->version, version);
    EXPECT_TRUE(contents->clean());
    ASSERT_EQ(contents->batches.size(), 2u);
    EXPECT_EQ(contents->batches[1].batch.rows, 30u);
    EXPECT_EQ(contents->batches[1].batch.copy_data, MakeBatch(2, 30).copy_data);
  }
}

// Version 5 keeps the followed files' marks with each batch.
TEST_F(SegmentTest, MarksComeBackWithTheirBatch) {
  format::Batch marked = MakeBatch(7, 3);
  marked.marks = {{"/var/log/exim4/mainlog", {1234, 2, 98765}}, {"/var/log/mail.log", {9, 0, 1}}};
  format::Batch marks_only;
  marks_only.id = 8;
  marks_only.marks = {{"/var/log/exim4/mainlog", {1234, 2, 99000}}};
  std::string path = Write({MakeBatch(6, 2), marked, marks_only});
  auto contents = ReadSegment(DefaultEnv().fs, path);
  ASSERT_TRUE(contents) << contents.error().message();
  ASSERT_TRUE(contents->clean());
  ASSERT_EQ(contents->batches.size(), 3u);
  EXPECT_TRUE(contents->batches[0].batch.marks.empty());
  EXPECT_EQ(contents->batches[1].batch.marks, marked.marks);
  EXPECT_EQ(contents->batches[1].batch.copy_data, marked.copy_data);
  EXPECT_EQ(contents->batches[2].batch.marks, marks_only.marks);
  EXPECT_EQ(contents->batches[2].batch.rows, 0u);
}

}  // namespace
}  // namespace sluice::spool
