#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/unique_fd.h"
#include "pipeline/batch.h"

namespace sluice::spool {

// Appends batches to one new spool segment file, each as a zstd frame with its checksum.
// Not thread-safe: owned by the spool thread.
class SegmentWriter {
 public:
  // Creates `path` (which must not exist) and writes the segment header. `zstd_level` is
  // zstd's compression level (1..19).
  static Result<std::unique_ptr<SegmentWriter>> Create(const std::string& path, int zstd_level);
  ~SegmentWriter();
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Compresses and appends `batch`; returns the bytes the record took. kNoSpace, writing
  // nothing, when the record would take more than `room` bytes. kIoError (kNoSpace when the
  // disk is full) leaves the file as it was before the call (a partial record is cut off).
  Result<uint64_t> Append(const pipeline::Batch& batch, uint64_t room = UINT64_MAX);
  // Makes everything appended so far durable (fdatasync).
  Status Sync();

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }          // file size so far
  uint64_t raw_bytes() const { return raw_bytes_; }  // uncompressed COPY bytes appended
  uint32_t records() const { return records_; }

 private:
  SegmentWriter(UniqueFd fd, std::string path, int zstd_level);
  Status WriteAll(const std::string& bytes);

  UniqueFd fd_;
  std::string path_;
  int zstd_level_;
  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;
  std::string frame_input_;  // reused: metadata + copy data
  std::string record_;       // reused: record header + frame
  uint64_t bytes_ = 0;
  uint64_t raw_bytes_ = 0;
  uint32_t records_ = 0;
};

}  // namespace sluice::spool
