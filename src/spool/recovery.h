#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/file_system.h"
#include "common/status.h"
#include "spool/segment_reader.h"

namespace sluice::spool {

// A segment an earlier run left, as read at start-up.
struct RecoveredSegment {
  uint64_t id = 0;
  std::string path;
  SegmentContents contents;  // its intact batches; damage, if any, is already logged
};

// What a spool directory held at start-up.
struct Recovery {
  std::vector<RecoveredSegment> segments;  // oldest first
  uint64_t highest_id = 0;                 // of every segment file seen, quarantined ones too
};

// Reads every segment file of `dir`, as a spool must before it takes new batches: a torn tail
// (a crash mid-append) is cut off; a file that is not a readable segment is moved to
// quarantine/; a damaged segment's intact batches are returned, to be committed before it is
// quarantined. Each of these is logged, and quarantined segments are counted
// (quarantined_segments). kIoError when the directory cannot be listed, or a segment read or
// cut. Thread-safe (no shared state but `counters`).
Result<Recovery> RecoverSegments(FileSystem& fs, const std::string& dir, Counters& counters);

}  // namespace sluice::spool
