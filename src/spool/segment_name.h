#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::spool {

// Segment files are named "seg-<id>.sgz", the id zero-padded to 20 digits so that names sort
// in the order segments were begun. Stateless and thread-safe.

// The file name of segment `id`.
std::string SegmentFileName(uint64_t id);

// The id in a segment's file name, or 0 when `name` is not one.
uint64_t SegmentIdOf(std::string_view name);

}  // namespace sluice::spool
