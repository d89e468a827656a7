#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::spool {

// Segment files are named "seg-<id>.sgz", the id zero-padded to 20 digits so that names sort
// in the order segments were begun. Stateless and thread-safe.

// Ids above this are refused, so that the next id can never wrap around.
inline constexpr uint64_t kMaxSegmentId = uint64_t{1} << 62;

// The file name of segment `id`.
std::string SegmentFileName(uint64_t id);

// What a file name in a spool directory is.
struct SegmentName {
  enum Kind {
    kOther,    // not a segment (LOCK, quarantine/, anything else): left alone
    kSegment,  // "seg-<1 to 20 digits>.sgz" with an id from 1 to kMaxSegmentId
    kOdd,      // "seg-….sgz" that is not that (no digits, letters, an id out of range)
  };
  Kind kind = kOther;
  uint64_t id = 0;  // for kSegment
};

SegmentName ParseSegmentName(std::string_view name);

}  // namespace sluice::spool
