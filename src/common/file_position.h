#pragma once

#include <cstdint>

namespace sluice {

// Where a reader is in a log file that grows and rotates: which file (its inode), which of
// its lives (a generation, bumped when the file is truncated in place: copytruncate), and how
// far (bytes of complete lines consumed). Value type.
struct FilePosition {
  uint64_t inode = 0;
  uint32_t generation = 0;
  uint64_t offset = 0;

  bool operator==(const FilePosition&) const = default;
};

// Whether `a` is further into the same file than `b`.
inline bool Later(const FilePosition& a, const FilePosition& b) {
  return a.generation > b.generation || (a.generation == b.generation && a.offset > b.offset);
}

}  // namespace sluice
