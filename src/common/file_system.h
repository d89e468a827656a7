#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice {

// A file opened for appending, as the spool writes its segments. Append() and Truncate() are
// not thread-safe (one writer); Sync() may run on another thread while the writer appends.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data`. On an error part of it may have been written: the caller cuts it off
  // with Truncate() if the file must end at a boundary. kNoSpace when the disk is full.
  virtual Status Append(std::string_view data) = 0;
  // Cuts the file to `size` bytes; the next Append() writes at the new end.
  virtual Status Truncate(uint64_t size) = 0;
  // Makes everything appended before the call durable (fdatasync).
  virtual Status Sync() = 0;
};

// A file read at offsets. Thread-safe (pread).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Exactly `length` bytes at `offset`; kIoError when they cannot all be read.
  virtual Result<std::string> Read(uint64_t offset, uint64_t length) const = 0;
  // The file's size now.
  virtual Result<uint64_t> Size() const = 0;
};

// An exclusive lock on a file, held until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// The file operations sluice uses, so that tests can inject the faults a real disk throws
// (see test/support/fault_injection_file_system.h). Paths are plain strings; errors carry
// the path and the OS's reason, and are kNoSpace for a full disk or quota, kIoError otherwise.
// No operation that opens a file follows a symbolic link at its last component.
// Implementations are thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Creates `path`, which must not exist, for appending.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // The names (not paths) of the entries of `dir`, "." and ".." left out, in no order.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and its missing parents; Ok if it exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // Makes the entries of `dir` (files created, renamed, removed) durable (fsync of the
  // directory).
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on `path` (created if missing) and writes this process's pid in
  // it. kUnavailable, with the holder's pid as the message, when another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

}  // namespace sluice
