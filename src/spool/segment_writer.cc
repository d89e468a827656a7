#include "spool/segment_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <zstd.h>

#include "spool/segment_format.h"

namespace sluice::spool {
namespace {

void PutLittleEndian(std::string& out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

Error IoError(const std::string& what, const std::string& path) {
  return Error(errno == ENOSPC || errno == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIoError,
               what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

struct SegmentWriter::ZstdContext {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(cctx); }
};

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(const std::string& path,
                                                             int zstd_level) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return tl::unexpected(IoError("cannot create segment", path));
  std::unique_ptr<SegmentWriter> writer(new SegmentWriter(std::move(fd), path, zstd_level));
  std::string header(kSegmentMagic);
  PutLittleEndian(header, kSegmentVersion, 4);
  PutLittleEndian(header, 0, 4);
  SLUICE_RETURN_IF_ERROR(writer->WriteAll(header));
  writer->bytes_ = header.size();
  return writer;
}

SegmentWriter::SegmentWriter(UniqueFd fd, std::string path, int zstd_level)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      zstd_level_(zstd_level),
      zstd_(std::make_unique<ZstdContext>()) {
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_compressionLevel, zstd_level_);
  ZSTD_CCtx_setParameter(zstd_->cctx, ZSTD_c_checksumFlag, 1);
}

SegmentWriter::~SegmentWriter() = default;

Status SegmentWriter::WriteAll(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error error = IoError("cannot write segment", path_);
      // Cut a partial record off, so the file still ends at a record boundary.
      (void)!::ftruncate(fd_.get(), static_cast<off_t>(bytes_));
      (void)::lseek(fd_.get(), static_cast<off_t>(bytes_), SEEK_SET);
      return tl::unexpected(error);
    }
    done += static_cast<size_t>(n);
  }
  return Ok();
}

Result<uint64_t> SegmentWriter::Append(const pipeline::Batch& batch, uint64_t room) {
  frame_input_.clear();
  PutLittleEndian(frame_input_, batch.id, 8);
  PutLittleEndian(frame_input_, batch.rows, 4);
  PutLittleEndian(frame_input_, batch.malformed, 4);
  frame_input_.append(batch.copy_data);

  size_t bound = ZSTD_compressBound(frame_input_.size());
  record_.resize(kRecordHeaderSize + bound);
  size_t frame = ZSTD_compress2(zstd_->cctx, record_.data() + kRecordHeaderSize, bound,
                                frame_input_.data(), frame_input_.size());
  if (ZSTD_isError(frame)) {
    return Fail(ErrorCode::kIoError, std::string("zstd: ") + ZSTD_getErrorName(frame));
  }
  record_.resize(kRecordHeaderSize + frame);
  if (record_.size() > room) {
    return Fail(ErrorCode::kNoSpace,
                "spool: no room for a batch of " + std::to_string(record_.size()) + " bytes");
  }
  std::memcpy(record_.data(), kRecordMagic.data(), kRecordMagic.size());
  for (size_t i = 0; i < 4; ++i) record_[4 + i] = static_cast<char>((frame >> (8 * i)) & 0xFF);
  SLUICE_RETURN_IF_ERROR(WriteAll(record_));
  bytes_ += record_.size();
  raw_bytes_ += batch.copy_data.size();
  ++records_;
  return uint64_t{record_.size()};
}

Status SegmentWriter::Sync() {
  if (::fdatasync(fd_.get()) != 0) return tl::unexpected(IoError("cannot sync segment", path_));
  return Ok();
}

}  // namespace sluice::spool
