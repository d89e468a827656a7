#include "spool/segment_name.h"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace sluice::spool {
namespace {

constexpr std::string_view kSegmentPrefix = "seg-";
constexpr std::string_view kSegmentSuffix = ".sgz";

}  // namespace

std::string SegmentFileName(uint64_t id) {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020" PRIu64 ".sgz", id);
  return name;
}

uint64_t SegmentIdOf(std::string_view name) {
  if (!name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) return 0;
  std::string digits(name.substr(kSegmentPrefix.size(),
                                 name.size() - kSegmentPrefix.size() - kSegmentSuffix.size()));
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoull(digits);
}

}  // namespace sluice::spool
