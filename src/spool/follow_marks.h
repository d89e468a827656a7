#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_position.h"
#include "common/file_system.h"
#include "common/status.h"
#include "format/source_mark.h"

namespace sluice::spool {

// The newest mark (format::SourceMark) of each followed file: of several marks for one
// source, the one of the highest batch id counts, whatever order the batches were committed
// in. Saved as the file `follow.marks` of a spool directory, one line per source:
// "BATCH_ID INODE GENERATION OFFSET SOURCE". Value type; not thread-safe.
class FollowMarks {
 public:
  static constexpr std::string_view kFileName = "follow.marks";

  // Notes the marks of batch `batch_id`. True when a source's mark changed.
  bool Note(uint64_t batch_id, const std::vector<format::SourceMark>& marks);
  // Each source's position.
  std::map<std::string, FilePosition> Positions() const;
  bool empty() const { return entries_.empty(); }

  // The marks saved in `dir` (none if there is no file). kCorruption for a line that does not
  // read; kIoError when the file cannot be read.
  static Result<FollowMarks> Load(FileSystem& fs, const std::string& dir);
  // Writes them to `dir` durably: a new file, synced, renamed over the old one, and the
  // directory synced. On an error the old file is still whole.
  Status Save(FileSystem& fs, const std::string& dir) const;

 private:
  struct Entry {
    uint64_t batch_id = 0;
    FilePosition at;
  };
  std::map<std::string, Entry> entries_;
};

}  // namespace sluice::spool
