#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/status.h"
#include "format/batch.h"

namespace sluice::spool {

// An intact record of a segment.
struct SpooledBatch {
  format::Batch batch;
  uint64_t offset = 0;        // of its record header in the file
  uint64_t stored_bytes = 0;  // record header + compressed frame
};

// A region of a segment that did not decode: a bad record magic, an impossible length, or a
// zstd frame whose checksum or structure is wrong.
struct Damage {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string reason;
};

// Everything that could be read from a segment.
struct SegmentContents {
  std::string instance_id;            // who wrote it ("" in version 1 segments)
  uint32_t version = 0;               // its segment format version (spool/frame_content.h)
  std::vector<SpooledBatch> batches;  // every intact record, in file order
  std::vector<Damage> damage;         // regions between or after intact records
  bool torn_tail = false;             // the file ends inside its last record (a crash mid-append)
  uint64_t valid_end = 0;             // where the file should end: after the last intact record
  uint64_t file_bytes = 0;

  bool clean() const { return damage.empty() && !torn_tail; }
};

// Reads a whole segment. Intact records before and after damaged regions are all returned
// (the reader resynchronises on the next record magic that starts a valid frame).
// kCorruption when the file header is not a sluice segment of a version we read;
// kIoError when the file cannot be read. Thread-safe (no shared state).
Result<SegmentContents> ReadSegment(FileSystem& fs, const std::string& path);

// ReadSegment() on the bytes of a segment file already read; `path` names it in messages.
// Thread-safe.
Result<SegmentContents> ParseSegment(std::string_view file, const std::string& path);

// Reads the one record at `offset` (`stored_bytes` long, as ReadSegment reported it) from the
// open segment `file` of format `version`. kCorruption when it no longer decodes, kIoError
// when it cannot be read. Thread-safe.
Result<format::Batch> ReadRecordAt(const RandomAccessFile& file, uint64_t offset,
                                   uint64_t stored_bytes, uint32_t version);

}  // namespace sluice::spool
