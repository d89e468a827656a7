#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "format/batch.h"

namespace sluice::spool {

// Turns a batch into one spool record (docs/spool_format.md): record header and a zstd frame
// with zstd's content checksum over the batch id, counts and COPY stream.
// Not thread-safe: one encoder per thread (it reuses its zstd context and buffers).
class RecordEncoder {
 public:
  // `zstd_level`: zstd's compression level (1..19).
  explicit RecordEncoder(int zstd_level);
  ~RecordEncoder();
  RecordEncoder(const RecordEncoder&) = delete;
  RecordEncoder& operator=(const RecordEncoder&) = delete;

  // The record for `batch`; valid until the next call.
  Result<std::string_view> Encode(const format::Batch& batch);

 private:
  struct ZstdContext;
  std::unique_ptr<ZstdContext> zstd_;
  std::string frame_input_;  // metadata + copy data
  std::string record_;       // record header + frame
};

}  // namespace sluice::spool
