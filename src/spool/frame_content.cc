#include "spool/frame_content.h"

#include "spool/segment_format.h"

namespace sluice::spool {
namespace {

constexpr size_t kV3MetadataSize = 8 + 4 + 4 + 4 + 4 + 8 + 4 + 8 + 3 * 8;

}  // namespace

void AppendFrameContent(const format::Batch& batch, std::string& out) {
  out.reserve(out.size() + kV3MetadataSize + batch.bytes());
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
  out.append(batch.copy_data).append(batch.aggregate_data).append(batch.shed_data);
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
  if (content.size() < kV3MetadataSize) {
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
  uint64_t body = content.size() - kV3MetadataSize;
  if (events_bytes > body || aggregate_bytes > body - events_bytes ||
      shed_bytes != body - events_bytes - aggregate_bytes) {
    return Fail(ErrorCode::kCorruption, "frame content: stream lengths do not add up");
  }
  if (batch.format < format::kBatchFormatV2 || batch.format > format::kBatchFormat) {
    return Fail(ErrorCode::kCorruption,
                "frame content: unknown batch format " + std::to_string(batch.format));
  }
  std::string_view streams(content);
  streams.remove_prefix(kV3MetadataSize);
  batch.aggregate_data = streams.substr(events_bytes, aggregate_bytes);
  batch.shed_data = streams.substr(events_bytes + aggregate_bytes);
  content.erase(kV3MetadataSize + events_bytes);
  content.erase(0, kV3MetadataSize);
  batch.copy_data = std::move(content);
  return batch;
}

}  // namespace sluice::spool
