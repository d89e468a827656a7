#include "spool/record_encoder.h"

#include <cstring>

#include <zstd.h>

#include "spool/frame_content.h"
#include "spool/segment_format.h"

namespace sluice::spool {

struct RecordEncoder::ZstdContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

RecordEncoder::RecordEncoder(int zstd_level) : zstd_(std::make_unique<ZstdContext>()) {
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel, zstd_level);
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_checksumFlag, 1);
}

RecordEncoder::~RecordEncoder() = default;

Result<std::string_view> RecordEncoder::Encode(const format::Batch& batch) {
  frame_input_.clear();
  AppendFrameContent(batch, frame_input_);

  size_t bound = ZSTD_compressBound(frame_input_.size());
  record_.resize(kRecordHeaderSize + bound);
  size_t frame = ZSTD_compress2(zstd_->cctx, record_.data() + kRecordHeaderSize, bound,
                                frame_input_.data(), frame_input_.size());
  if (ZSTD_isError(frame)) {
    return Fail(ErrorCode::kIoError, std::string("zstd: ") + ZSTD_getErrorName(frame));
  }
  record_.resize(kRecordHeaderSize + frame);
  std::string header(kRecordMagic);
  PutLittleEndian(header, frame, 4);
  PutLittleEndian(header, RecordHeaderChecksum(header), 4);
  std::memcpy(record_.data(), header.data(), header.size());
  return std::string_view(record_);
}

}  // namespace sluice::spool
