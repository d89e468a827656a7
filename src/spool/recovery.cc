#include "spool/recovery.h"

#include <algorithm>

#include "common/logging.h"
#include "spool/quarantine.h"
#include "spool/segment_name.h"

namespace sluice::spool {

Result<Recovery> RecoverSegments(FileSystem& fs, const std::string& dir, Counters& counters) {
  auto names = fs.ListDir(dir);
  if (!names) return tl::unexpected(names.error());
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const std::string& name : *names) {
    SegmentName parsed = ParseSegmentName(name);
    if (parsed.kind == SegmentName::kSegment) found.emplace_back(parsed.id, name);
    if (parsed.kind != SegmentName::kOdd) continue;
    LogError("spool: " + dir + "/" + name + " is not a segment name sluice writes; moved aside");
    counters.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
    MoveToQuarantine(fs, dir, dir + "/" + name);
  }
  std::sort(found.begin(), found.end());

  Recovery recovery;
  for (const auto& [id, name] : found) {
    std::string path = dir + "/" + name;
    if (!recovery.segments.empty() && recovery.segments.back().id == id) {
      LogError("spool: " + path + " has the id of " + recovery.segments.back().path +
               "; moved aside");
      counters.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
      MoveToQuarantine(fs, dir, path);
      continue;
    }
    recovery.highest_id = std::max(recovery.highest_id, id);
    auto contents = ReadSegment(fs, path);
    if (!contents && contents.error().code() == ErrorCode::kCorruption) {
      LogError("spool: " + contents.error().message());
      counters.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
      MoveToQuarantine(fs, dir, path);
      continue;
    }
    if (!contents) return tl::unexpected(contents.error());
    if (contents->torn_tail) {
      LogWarn("spool: " + path + " ends inside a record (a crash while appending); cut at byte " +
              std::to_string(contents->valid_end) + " of " + std::to_string(contents->file_bytes));
      SLUICE_RETURN_IF_ERROR(fs.Truncate(path, contents->valid_end));
    }
    for (const Damage& damage : contents->damage) {
      LogError("spool: " + path + ": bytes " + std::to_string(damage.offset) + ".." +
               std::to_string(damage.offset + damage.length) + " are damaged (" + damage.reason +
               "); the intact batches around them are kept and the file "
               "will be moved to quarantine/");
    }
    if (!contents->damage.empty()) {
      counters.quarantined_segments.fetch_add(1, std::memory_order_relaxed);
    }
    recovery.segments.push_back(RecoveredSegment{id, path, std::move(*contents)});
  }
  return recovery;
}

}  // namespace sluice::spool
