#include "spool/follow_marks.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/atomic_file.h"

namespace sluice::spool {

bool FollowMarks::Note(uint64_t batch_id, const std::vector<format::SourceMark>& marks) {
  bool changed = false;
  for (const format::SourceMark& mark : marks) {
    auto [it, added] = entries_.try_emplace(mark.source, Entry{batch_id, mark.at});
    if (!added && it->second.batch_id >= batch_id) continue;
    it->second = Entry{batch_id, mark.at};
    changed = true;
  }
  return changed;
}

std::map<std::string, FilePosition> FollowMarks::Positions() const {
  std::map<std::string, FilePosition> positions;
  for (const auto& [source, entry] : entries_) positions.emplace(source, entry.at);
  return positions;
}

Result<FollowMarks> FollowMarks::Load(FileSystem& fs, const std::string& dir) {
  const std::string path = dir + "/" + std::string(kFileName);
  FollowMarks marks;
  auto names = fs.ListDir(dir);
  if (!names) return tl::unexpected(names.error());
  if (std::find(names->begin(), names->end(), kFileName) == names->end()) return marks;
  auto file = fs.NewRandomAccessFile(path);
  if (!file) return tl::unexpected(file.error());
  auto size = (*file)->Size();
  if (!size) return tl::unexpected(size.error());
  auto text = (*file)->Read(0, *size);
  if (!text) return tl::unexpected(text.error());
  std::string_view rest = *text;
  for (int line_number = 1; !rest.empty(); ++line_number) {
    size_t end = rest.find('\n');
    std::string line(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    Entry entry;
    int source_at = -1;
    if (std::sscanf(line.c_str(), "%" SCNu64 " %" SCNu64 " %" SCNu32 " %" SCNu64 " %n",
                    &entry.batch_id, &entry.at.inode, &entry.at.generation, &entry.at.offset,
                    &source_at) != 4 ||
        source_at < 0 || static_cast<size_t>(source_at) >= line.size()) {
      return Fail(ErrorCode::kCorruption,
                  path + " line " + std::to_string(line_number) + " does not read as a mark");
    }
    marks.entries_[line.substr(static_cast<size_t>(source_at))] = entry;
  }
  return marks;
}

Status FollowMarks::Save(FileSystem& fs, const std::string& dir) const {
  const std::string path = dir + "/" + std::string(kFileName);
  std::string text;
  for (const auto& [source, entry] : entries_) {
    text += std::to_string(entry.batch_id) + " " + std::to_string(entry.at.inode) + " " +
            std::to_string(entry.at.generation) + " " + std::to_string(entry.at.offset) + " " +
            source + "\n";
  }
  return WriteFileAtomically(fs, path, text, path + ".new");
}

}  // namespace sluice::spool
