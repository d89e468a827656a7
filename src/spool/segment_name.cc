#include "spool/segment_name.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

namespace sluice::spool {
namespace {

constexpr std::string_view kSegmentPrefix = "seg-";
constexpr std::string_view kSegmentSuffix = ".sgz";
constexpr size_t kMaxDigits = 20;

}  // namespace

std::string SegmentFileName(uint64_t id) {
  char name[48];
  std::snprintf(name, sizeof name, "seg-%020" PRIu64 ".sgz", id);
  return name;
}

SegmentName ParseSegmentName(std::string_view name) {
  if (name.size() < kSegmentPrefix.size() + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return {};
  }
  std::string_view digits = name.substr(
      kSegmentPrefix.size(), name.size() - kSegmentPrefix.size() - kSegmentSuffix.size());
  uint64_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || digits.size() > kMaxDigits || error != std::errc() ||
      end != digits.data() + digits.size() || id == 0 || id > kMaxSegmentId) {
    return {SegmentName::kOdd, 0};
  }
  return {SegmentName::kSegment, id};
}

}  // namespace sluice::spool
