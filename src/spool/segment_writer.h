#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/file_system.h"
#include "common/status.h"
#include "format/batch.h"
#include "spool/record_encoder.h"

namespace sluice::spool {

// Appends records to one new spool segment file.
// Not thread-safe, except Sync(), which may run while another thread appends. The FileSystem
// given to Create() must outlive this.
class SegmentWriter {
 public:
  // Creates `path` (which must not exist) and writes the segment header naming
  // `instance_id`, the ledger name its batches are committed under. `zstd_level` is what
  // Append() compresses with. If the header cannot be written (a full disk), the file is
  // removed again: there is never a segment file without its header.
  static Result<std::unique_ptr<SegmentWriter>> Create(FileSystem& fs, const std::string& path,
                                                       int zstd_level,
                                                       const std::string& instance_id = "");
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;

  // Appends `record` (made by RecordEncoder); returns the bytes it took. kNoSpace, writing
  // nothing, when it is longer than `room`. kIoError (kNoSpace when the disk is full) leaves
  // the file as it was (a partial record is cut off).
  Result<uint64_t> AppendRecord(std::string_view record, uint64_t room = UINT64_MAX);
  // Encodes and appends `batch`, as AppendRecord does.
  Result<uint64_t> Append(const format::Batch& batch, uint64_t room = UINT64_MAX);
  // Makes everything appended before the call durable (fdatasync).
  Status Sync() const;

  const std::string& path() const { return path_; }
  uint64_t bytes() const { return bytes_; }  // file size so far

 private:
  SegmentWriter(std::unique_ptr<WritableFile> file, std::string path, int zstd_level);
  // Appends `bytes`, or cuts off what part of them was written and fails.
  Status WriteAll(std::string_view bytes);

  std::unique_ptr<WritableFile> file_;
  std::string path_;
  RecordEncoder encoder_;
  uint64_t bytes_ = 0;
};

}  // namespace sluice::spool
