#include "spool/segment_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "spool/segment_format.h"

namespace sluice::spool {
namespace {

Error IoError(const std::string& what, const std::string& path) {
  return Error(errno == ENOSPC || errno == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIoError,
               what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(const std::string& path,
                                                             int zstd_level,
                                                             const std::string& instance_id) {
  if (instance_id.size() > kMaxInstanceIdBytes) {
    return Fail(ErrorCode::kInvalidArgument, "instance id too long for a segment header");
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return tl::unexpected(IoError("cannot create segment", path));
  std::unique_ptr<SegmentWriter> writer(new SegmentWriter(std::move(fd), path, zstd_level));
  std::string header(kSegmentMagic);
  PutLittleEndian(header, kSegmentVersion, 4);
  PutLittleEndian(header, instance_id.size(), 4);
  header.append(instance_id);
  SLUICE_RETURN_IF_ERROR(writer->WriteAll(header));
  writer->bytes_ = header.size();
  return writer;
}

SegmentWriter::SegmentWriter(UniqueFd fd, std::string path, int zstd_level)
    : fd_(std::move(fd)), path_(std::move(path)), encoder_(zstd_level) {}

Status SegmentWriter::WriteAll(std::string_view bytes) {
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

Result<uint64_t> SegmentWriter::AppendRecord(std::string_view record, uint64_t room) {
  if (record.size() > room) {
    return Fail(ErrorCode::kNoSpace,
                "spool: no room for a batch of " + std::to_string(record.size()) + " bytes");
  }
  SLUICE_RETURN_IF_ERROR(WriteAll(record));
  bytes_ += record.size();
  return uint64_t{record.size()};
}

Result<uint64_t> SegmentWriter::Append(const format::Batch& batch, uint64_t room) {
  auto record = encoder_.Encode(batch);
  if (!record) return tl::unexpected(record.error());
  return AppendRecord(*record, room);
}

Status SegmentWriter::Sync() const {
  if (::fdatasync(fd_.get()) != 0) return tl::unexpected(IoError("cannot sync segment", path_));
  return Ok();
}

}  // namespace sluice::spool
