#include "spool/segment_writer.h"

#include "spool/segment_format.h"

namespace sluice::spool {

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(FileSystem& fs,
                                                             const std::string& path,
                                                             int zstd_level,
                                                             const std::string& instance_id) {
  if (instance_id.size() > kMaxInstanceIdBytes) {
    return Fail(ErrorCode::kInvalidArgument, "instance id too long for a segment header");
  }
  auto file = fs.NewWritableFile(path);
  if (!file) return tl::unexpected(file.error());
  std::unique_ptr<SegmentWriter> writer(new SegmentWriter(std::move(*file), path, zstd_level));
  std::string header(kSegmentMagic);
  PutLittleEndian(header, kSegmentVersion, 4);
  PutLittleEndian(header, instance_id.size(), 4);
  header.append(instance_id);
  if (Status written = writer->WriteAll(header); !written) {
    // No segment without its header: a full disk must not leave an empty file per batch.
    writer.reset();
    if (Status removed = fs.Remove(path); !removed) {
      return Fail(written.error().code(),
                  written.error().message() + " (and " + removed.error().message() + ")");
    }
    return tl::unexpected(written.error());
  }
  writer->bytes_ = header.size();
  return writer;
}

SegmentWriter::SegmentWriter(std::unique_ptr<WritableFile> file, std::string path, int zstd_level)
    : file_(std::move(file)), path_(std::move(path)), encoder_(zstd_level) {}

Status SegmentWriter::WriteAll(std::string_view bytes) {
  Status written = file_->Append(bytes);
  if (!written) {
    // Cut a partial record off, so the file still ends at a record boundary.
    (void)file_->Truncate(bytes_);  // if this fails too, recovery cuts the torn tail
    return written;
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

Status SegmentWriter::Sync() const { return file_->Sync(); }

}  // namespace sluice::spool
