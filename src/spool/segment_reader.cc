#include "spool/segment_reader.h"

#include <memory>
#include <optional>
#include <string_view>

#include <zstd.h>

#include "spool/frame_content.h"
#include "spool/segment_format.h"

namespace sluice::spool {
namespace {

// What one decode attempt at an offset found.
struct Attempt {
  std::optional<SpooledBatch> batch;  // set when a whole, valid record is there
  bool torn = false;                  // a record starts here but the file ends inside it
  std::string reason;                 // why it is not a valid record
};

Attempt DecodeAt(std::string_view file, size_t pos, uint32_t version) {
  Attempt attempt;
  std::string_view rest = file.substr(pos);
  const size_t header_size = RecordHeaderSize(version);
  if (rest.size() < header_size) {
    attempt.torn = rest.substr(0, std::min(rest.size(), kRecordMagic.size())) ==
                   kRecordMagic.substr(0, std::min(rest.size(), kRecordMagic.size()));
    attempt.reason = "truncated record header";
    return attempt;
  }
  if (rest.substr(0, kRecordMagic.size()) != kRecordMagic) {
    attempt.reason = "bad record magic";
    return attempt;
  }
  const bool checked = version >= 4;
  if (checked && GetLittleEndian(rest, 8, 4) != RecordHeaderChecksum(rest.substr(0, 8))) {
    attempt.reason = "damaged record header (checksum)";
    return attempt;
  }
  uint64_t frame_size = GetLittleEndian(rest, 4, 4);
  std::string_view frame = rest.substr(header_size);
  if (frame_size > kMaxFrameBytes) {
    attempt.reason = "impossible frame length " + std::to_string(frame_size);
    return attempt;
  }
  if (frame_size > frame.size()) {
    // A crash mid-append leaves a valid start of a frame that runs past the end of the file;
    // a damaged length field is recognisable by a complete frame of another size.
    // From version 4 the header's checksum says the length is the one written: torn.
    size_t real = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
    attempt.torn = checked || ZSTD_isError(real) != 0;
    attempt.reason = attempt.torn ? "file ends inside the record" : "damaged frame length";
    return attempt;
  }
  frame = frame.substr(0, frame_size);
  unsigned long long content = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN ||
      content < kMinFrameContentSize || content > kMaxFrameBytes * 4ull) {
    attempt.reason = "not a sluice zstd frame";
    return attempt;
  }
  // Into memory left untouched until zstd writes it: a damaged frame that claims a gigabyte
  // fails without a gigabyte being zeroed first (found by the segment reader's fuzzer: 13 s
  // and 1 GiB for one crafted input).
  std::unique_ptr<char[]> buffer(new char[content]);
  size_t n = ZSTD_decompress(buffer.get(), content, frame.data(), frame.size());
  if (ZSTD_isError(n) || n != content) {
    attempt.reason = std::string("zstd: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
    return attempt;
  }
  auto batch = DecodeFrameContent(std::string(buffer.get(), content), version);
  if (!batch) {
    attempt.reason = batch.error().message();
    return attempt;
  }
  SpooledBatch spooled;
  spooled.batch = std::move(*batch);
  spooled.offset = pos;
  spooled.stored_bytes = header_size + frame_size;
  attempt.batch = std::move(spooled);
  return attempt;
}

}  // namespace

Result<SegmentContents> ReadSegment(FileSystem& fs, const std::string& path) {
  auto opened = fs.NewRandomAccessFile(path);
  if (!opened) return tl::unexpected(opened.error());
  auto size = (*opened)->Size();
  if (!size) return tl::unexpected(size.error());
  auto bytes = (*opened)->Read(0, *size);
  if (!bytes) return tl::unexpected(bytes.error());
  return ParseSegment(*bytes, path);
}

Result<SegmentContents> ParseSegment(std::string_view file, const std::string& path) {
  SegmentContents contents;
  contents.file_bytes = file.size();
  if (file.size() < kSegmentHeaderSize || file.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return Fail(ErrorCode::kCorruption, path + " is not a sluice spool segment (bad header)");
  }
  uint64_t version = GetLittleEndian(file, 8, 4);
  if (version < 1 || version > kSegmentVersion) {
    return Fail(ErrorCode::kCorruption, path + " has segment format version " +
                                            std::to_string(version) + ", this sluice reads 1 to " +
                                            std::to_string(kSegmentVersion));
  }
  size_t id_bytes = version >= 2 ? GetLittleEndian(file, 12, 4) : 0;
  if (id_bytes > kMaxInstanceIdBytes || kSegmentHeaderSize + id_bytes > file.size()) {
    return Fail(ErrorCode::kCorruption, path + " has a damaged header (instance id length)");
  }
  contents.instance_id = file.substr(kSegmentHeaderSize, id_bytes);
  contents.version = static_cast<uint32_t>(version);

  size_t pos = kSegmentHeaderSize + id_bytes;
  contents.valid_end = pos;
  bool in_damage = false;  // between a record that failed and the next one that decodes
  auto close_damage = [&](size_t end) {
    if (!in_damage) return;
    contents.damage.back().length = end - contents.damage.back().offset;
    in_damage = false;
  };
  while (pos < file.size()) {
    Attempt attempt = DecodeAt(file, pos, contents.version);
    if (attempt.batch) {
      close_damage(pos);
      pos += attempt.batch->stored_bytes;
      contents.valid_end = pos;
      contents.batches.push_back(std::move(*attempt.batch));
      continue;
    }
    if (attempt.torn && !in_damage) {
      contents.torn_tail = true;
      break;
    }
    if (!in_damage) {
      contents.damage.push_back(Damage{pos, 0, attempt.reason});
      in_damage = true;
    }
    size_t next = file.find(kRecordMagic, pos + 1);
    pos = next == std::string_view::npos ? file.size() : next;
  }
  close_damage(file.size());
  return contents;
}

Result<format::Batch> ReadRecordAt(const RandomAccessFile& file, uint64_t offset,
                                   uint64_t stored_bytes, uint32_t version) {
  auto bytes = file.Read(offset, stored_bytes);
  if (!bytes) return tl::unexpected(bytes.error());
  Attempt attempt = DecodeAt(*bytes, 0, version);
  if (!attempt.batch) return Fail(ErrorCode::kCorruption, "spooled batch: " + attempt.reason);
  return std::move(attempt.batch->batch);
}

}  // namespace sluice::spool
