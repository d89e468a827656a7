#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_position.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace sluice::ingest {

// A growing log file at a path, read like `tail -F`: complete lines only (a last line without
// its newline waits for it), through rotation by rename (the old file is read to its end,
// then the new one from its start) and by copytruncate (the file got shorter than where we
// were: a new generation, from the start). Not thread-safe: owned by one thread.
class FollowedFile {
 public:
  explicit FollowedFile(std::string path) : path_(std::move(path)) {}

  // Opens the path (false while it does not exist) and goes to `at` if it is this file's
  // position and still within it; else to the start of a new generation of it.
  Result<bool> Open(const FilePosition& at);

  // Reads what has been appended: complete lines into `lines` (without their newline), at
  // most `max_lines` and about `max_bytes`; returns the position after the last of them.
  // On the file's end it looks for rotation and truncation and follows them (the next call
  // reads the new file or generation). No lines: nothing new yet. After a read error the file
  // is closed, and the next call opens the path again, going on where it was if it is still
  // the same file.
  Result<FilePosition> Read(std::vector<std::string>& lines, size_t max_lines, size_t max_bytes);

  const FilePosition& position() const { return position_; }
  const std::string& path() const { return path_; }
  bool open() const { return fd_.valid(); }

 private:
  // At the end of the file: a rotation or a truncation to follow?
  Status CheckRotation();

  const std::string path_;
  UniqueFd fd_;
  FilePosition position_;
  std::string pending_;  // bytes read after the last newline
};

}  // namespace sluice::ingest
