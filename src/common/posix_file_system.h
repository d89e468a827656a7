#pragma once

#include <string>
#include <string_view>

#include "common/file_system.h"

namespace sluice {

// The FileSystem of the machine, through POSIX calls (open, write, pread, fdatasync, flock).
// Files are opened O_CLOEXEC and created mode 0640. Thread-safe.
class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;
};

// The error for a failed operation `what` on `path` with `error_number` (an errno value):
// kNoSpace for ENOSPC and EDQUOT, kIoError otherwise; the message is "what path: reason".
Error FileError(std::string_view what, const std::string& path, int error_number);

}  // namespace sluice
