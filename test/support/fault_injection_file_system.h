#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/mutex.h"

namespace sluice::testing {

// The calls of a FileSystem (and of the files it opens) a fault can be injected into.
enum class FileOp {
  kCreate,        // NewWritableFile
  kAppend,        // WritableFile::Append
  kTruncate,      // WritableFile::Truncate
  kSync,          // WritableFile::Sync (fdatasync)
  kOpen,          // NewRandomAccessFile
  kRead,          // RandomAccessFile::Read
  kList,          // ListDir
  kCreateDirs,    // CreateDirs
  kRename,        // Rename
  kRemove,        // Remove
  kTruncatePath,  // FileSystem::Truncate
  kSyncDir,       // SyncDir
  kLock,          // LockFile
  kCount,
};

// A FileSystem that forwards to a real one (files stay real files in a temp dir) and fails
// chosen calls the way a failing disk does: ENOSPC, EIO, an fdatasync that reports an error, a
// write cut short. Every call is counted, so a test can also see that one was made (say, a
// directory sync). Thread-safe; `base` must outlive this and every file it opened.
class FaultInjectionFileSystem final : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(FileSystem& base);

  // After `after` more calls of `op` succeed, the next `times` calls fail with `error_number`
  // (an errno: ENOSPC, EIO, ...), doing nothing.
  void FailNext(FileOp op, int error_number, int times = 1, int after = 0) EXCLUDES(mu_);
  // While set, every create and append fails with ENOSPC: a full disk.
  void SetNoSpace(bool full) EXCLUDES(mu_);
  // The next append writes only its first `bytes` bytes to the file and then fails with
  // ENOSPC, as a write that fills the disk half-way does.
  void ShortWriteNext(size_t bytes) EXCLUDES(mu_);
  // The next call of `op` blocks until Release(), as a call to a disk that hangs does (an
  // NFS server gone, a dying disk in uninterruptible sleep); then it goes through.
  void HangNext(FileOp op) EXCLUDES(mu_);
  // Lets a hanging call go on.
  void Release() EXCLUDES(mu_);
  // Whether a call is hanging now.
  bool hanging() const EXCLUDES(mu_);
  // How many times `op` was called, failed calls included.
  uint64_t calls(FileOp op) const EXCLUDES(mu_);

  // The errno the call of `op` fails with now (0: it goes through), and the bytes of a short
  // write (SIZE_MAX: none) for kAppend. Counts the call. For the files this opens.
  int Check(FileOp op, size_t* short_write = nullptr) EXCLUDES(mu_);

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status CreateDirs(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  struct Rule {
    int error_number = 0;
    int after = 0;
    int times = 0;
  };
  static constexpr size_t kOps = static_cast<size_t>(FileOp::kCount);

  FileSystem& base_;
  mutable Mutex mu_;
  std::array<Rule, kOps> rules_ GUARDED_BY(mu_){};
  std::array<uint64_t, kOps> calls_ GUARDED_BY(mu_){};
  bool no_space_ GUARDED_BY(mu_) = false;
  size_t short_write_ GUARDED_BY(mu_) = SIZE_MAX;
  std::optional<FileOp> hang_next_ GUARDED_BY(mu_);
  bool hanging_ GUARDED_BY(mu_) = false;
  std::condition_variable_any released_;
};

}  // namespace sluice::testing
