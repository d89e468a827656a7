#pragma once

// The byte layout of a spool segment file; docs/spool_format.md explains it.
//
//   segment := header record*
//   header  := magic "SLUICESG" (8 bytes) | version u32 LE (2) | id length u32 LE |
//              instance id (id length bytes: the ledger name of the sluiced that wrote it)
//   record  := record magic "SLRC" (4 bytes) | frame length u32 LE |
//              header checksum u32 LE (version 4: CRC-32 of the 8 bytes before it) | zstd frame
//   frame content (decompressed): the batch's id, counts and COPY streams, laid out as
//                                 spool/frame_content.h says for the segment's version
//
// Each zstd frame carries zstd's own content checksum (ZSTD_c_checksumFlag), which covers
// the batch id and counts as well as the rows. A torn record at the end of the file is a
// crash while appending; anything else that does not decode is damage.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::spool {

inline constexpr std::string_view kSegmentMagic = "SLUICESG";
// 1 had no instance id (length 0); 3 added batch formats, aggregates and shed rows; 4 a
// checksum on each record header, so a damaged length is told from a torn tail for sure; 5
// the followed files' marks (format::SourceMark) in the frame content.
inline constexpr uint32_t kSegmentVersion = 5;
inline constexpr size_t kSegmentHeaderSize = 16;  // before the instance id
inline constexpr size_t kMaxInstanceIdBytes = 4096;

inline constexpr std::string_view kRecordMagic = "SLRC";
// The record header of segment version `version`: 12 bytes from version 4 on, 8 before.
inline constexpr size_t RecordHeaderSize(uint32_t version) { return version >= 4 ? 12 : 8; }
inline constexpr size_t kRecordHeaderSize = RecordHeaderSize(4);

// A frame larger than this is taken as a damaged length field, not read.
inline constexpr uint32_t kMaxFrameBytes = 256u << 20;

// The checksum of a record header's first 8 bytes (magic and length): CRC-32 (zlib's).
uint32_t RecordHeaderChecksum(std::string_view magic_and_length);

// Appends the low `width` bytes of `value`, least significant first.
inline void PutLittleEndian(std::string& out, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

// Reads `width` bytes at `offset` of `bytes` as a little-endian number.
inline uint64_t GetLittleEndian(std::string_view bytes, size_t offset, size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) {
    value |= uint64_t{static_cast<uint8_t>(bytes[offset + i])} << (8 * i);
  }
  return value;
}

}  // namespace sluice::spool
