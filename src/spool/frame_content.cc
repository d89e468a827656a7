#include "spool/frame_content.h"

#include "spool/segment_format.h"

namespace sluice::spool {
namespace {

constexpr size_t kV3MetadataSize = 8 + 4 + 4 + 4 + 4 + 8 + 4 + 8 + 3 * 8;
constexpr size_t kV5MetadataSize = kV3MetadataSize + 8;
constexpr size_t kMarkFixedSize = 4 + 8 + 4 + 8;

void AppendMarks(const std::vector<format::SourceMark>& marks, std::string& out) {
  PutLittleEndian(out, marks.size(), 4);
  for (const format::SourceMark& mark : marks) {
    PutLittleEndian(out, mark.source.size(), 4);
    out.append(mark.source);
    PutLittleEndian(out, mark.at.inode, 8);
    PutLittleEndian(out, mark.at.generation, 4);
    PutLittleEndian(out, mark.at.offset, 8);
  }
}

Result<std::vector<format::SourceMark>> DecodeMarks(std::string_view bytes) {
  std::vector<format::SourceMark> marks;
  if (bytes.size() < 4) return Fail(ErrorCode::kCorruption, "frame content: marks cut short");
  uint64_t count = GetLittleEndian(bytes, 0, 4);
  size_t pos = 4;
  for (uint64_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < kMarkFixedSize) {
      return Fail(ErrorCode::kCorruption, "frame content: marks cut short");
    }
    uint64_t length = GetLittleEndian(bytes, pos, 4);
    if (bytes.size() - pos - kMarkFixedSize < length) {
      return Fail(ErrorCode::kCorruption, "frame content: marks cut short");
    }
    format::SourceMark mark;
    mark.source = bytes.substr(pos + 4, length);
    pos += 4 + length;
    mark.at.inode = GetLittleEndian(bytes, pos, 8);
    mark.at.generation = static_cast<uint32_t>(GetLittleEndian(bytes, pos + 8, 4));
    mark.at.offset = GetLittleEndian(bytes, pos + 12, 8);
    pos += 20;
    marks.push_back(std::move(mark));
  }
  if (pos != bytes.size()) return Fail(ErrorCode::kCorruption, "frame content: marks too long");
  return marks;
}

}  // namespace

void AppendFrameContent(const format::Batch& batch, std::string& out) {
  std::string marks;
  AppendMarks(batch.marks, marks);
  out.reserve(out.size() + kV5MetadataSize + batch.bytes() + marks.size());
  PutLittleEndian(out, batch.id, 8);
  PutLittleEndian(out, batch.format, 4);
  PutLittleEndian(out, batch.rows, 4);
  PutLittleEndian(out, batch.malformed, 4);
  PutLittleEndian(out, batch.aggregate_rows, 4);
  PutLittleEndian(out, batch.aggregated_events, 8);
  PutLittleEndian(out, batch.shed_rows, 4);
  PutLittleEndian(out, batch.shed_events, 8);
  PutLittleEndian(out, batch.copy_data.size(), 8);
  PutLittleEndian(out, batch.aggregate_data.size(), 8);
  PutLittleEndian(out, batch.shed_data.size(), 8);
  PutLittleEndian(out, marks.size(), 8);
  out.append(batch.copy_data).append(batch.aggregate_data).append(batch.shed_data).append(marks);
}

Result<format::Batch> DecodeFrameContent(std::string&& content, uint32_t version) {
  format::Batch batch;
  if (content.size() < kMinFrameContentSize) {
    return Fail(ErrorCode::kCorruption, "frame content too short");
  }
  batch.id = GetLittleEndian(content, 0, 8);
  if (version < 3) {
    batch.format = format::kBatchFormatV2;
    batch.rows = static_cast<uint32_t>(GetLittleEndian(content, 8, 4));
    batch.malformed = static_cast<uint32_t>(GetLittleEndian(content, 12, 4));
    content.erase(0, kMinFrameContentSize);  // a move within the buffer, not a second copy
    batch.copy_data = std::move(content);
    return batch;
  }
  const size_t metadata = version >= 5 ? kV5MetadataSize : kV3MetadataSize;
  if (content.size() < metadata) {
    return Fail(ErrorCode::kCorruption, "frame content too short");
  }
  batch.format = static_cast<uint32_t>(GetLittleEndian(content, 8, 4));
  batch.rows = static_cast<uint32_t>(GetLittleEndian(content, 12, 4));
  batch.malformed = static_cast<uint32_t>(GetLittleEndian(content, 16, 4));
  batch.aggregate_rows = static_cast<uint32_t>(GetLittleEndian(content, 20, 4));
  batch.aggregated_events = GetLittleEndian(content, 24, 8);
  batch.shed_rows = static_cast<uint32_t>(GetLittleEndian(content, 32, 4));
  batch.shed_events = GetLittleEndian(content, 36, 8);
  uint64_t events_bytes = GetLittleEndian(content, 44, 8);
  uint64_t aggregate_bytes = GetLittleEndian(content, 52, 8);
  uint64_t shed_bytes = GetLittleEndian(content, 60, 8);
  uint64_t marks_bytes = version >= 5 ? GetLittleEndian(content, 68, 8) : 0;
  uint64_t body = content.size() - metadata;
  if (events_bytes > body || aggregate_bytes > body - events_bytes ||
      shed_bytes > body - events_bytes - aggregate_bytes ||
      marks_bytes != body - events_bytes - aggregate_bytes - shed_bytes) {
    return Fail(ErrorCode::kCorruption, "frame content: stream lengths do not add up");
  }
  if (batch.format < format::kBatchFormatV2 || batch.format > format::kBatchFormat) {
    return Fail(ErrorCode::kCorruption,
                "frame content: unknown batch format " + std::to_string(batch.format));
  }
  std::string_view streams(content);
  streams.remove_prefix(metadata);
  batch.aggregate_data = streams.substr(events_bytes, aggregate_bytes);
  batch.shed_data = streams.substr(events_bytes + aggregate_bytes, shed_bytes);
  if (version >= 5) {
    auto marks = DecodeMarks(streams.substr(events_bytes + aggregate_bytes + shed_bytes));
    if (!marks) return tl::unexpected(marks.error());
    batch.marks = std::move(*marks);
  }
  content.erase(metadata + events_bytes);
  content.erase(0, metadata);
  batch.copy_data = std::move(content);
  return batch;
}

}  // namespace sluice::spool
