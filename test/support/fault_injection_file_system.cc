#include "support/fault_injection_file_system.h"

#include <cerrno>

#include "common/posix_file_system.h"

namespace sluice::testing {
namespace {

class FaultWritableFile final : public WritableFile {
 public:
  FaultWritableFile(std::unique_ptr<WritableFile> base, std::string path,
                    FaultInjectionFileSystem& fs)
      : base_(std::move(base)), path_(std::move(path)), fs_(fs) {}

  Status Append(std::string_view data) override {
    size_t short_write = SIZE_MAX;
    if (int error = fs_.Check(FileOp::kAppend, &short_write); error != 0) {
      if (short_write < data.size()) (void)base_->Append(data.substr(0, short_write));
      return tl::unexpected(FileError("cannot write", path_, error));
    }
    return base_->Append(data);
  }
  Status Truncate(uint64_t size) override {
    if (int error = fs_.Check(FileOp::kTruncate); error != 0) {
      return tl::unexpected(FileError("cannot truncate", path_, error));
    }
    return base_->Truncate(size);
  }
  Status Sync() override {
    if (int error = fs_.Check(FileOp::kSync); error != 0) {
      return tl::unexpected(FileError("cannot sync", path_, error));
    }
    return base_->Sync();
  }

 private:
  std::unique_ptr<WritableFile> base_;
  std::string path_;
  FaultInjectionFileSystem& fs_;
};

class FaultRandomAccessFile final : public RandomAccessFile {
 public:
  FaultRandomAccessFile(std::unique_ptr<RandomAccessFile> base, std::string path,
                        FaultInjectionFileSystem& fs)
      : base_(std::move(base)), path_(std::move(path)), fs_(fs) {}

  Result<std::string> Read(uint64_t offset, uint64_t length) const override {
    if (int error = fs_.Check(FileOp::kRead); error != 0) {
      return tl::unexpected(FileError("cannot read", path_, error));
    }
    return base_->Read(offset, length);
  }
  Result<uint64_t> Size() const override { return base_->Size(); }

 private:
  std::unique_ptr<RandomAccessFile> base_;
  std::string path_;
  FaultInjectionFileSystem& fs_;
};

}  // namespace

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem& base) : base_(base) {}

void FaultInjectionFileSystem::FailNext(FileOp op, int error_number, int times, int after) {
  MutexLock lock(mu_);
  rules_[static_cast<size_t>(op)] = Rule{error_number, after, times};
}

void FaultInjectionFileSystem::SetNoSpace(bool full) {
  MutexLock lock(mu_);
  no_space_ = full;
}

void FaultInjectionFileSystem::ShortWriteNext(size_t bytes) {
  MutexLock lock(mu_);
  short_write_ = bytes;
}

uint64_t FaultInjectionFileSystem::calls(FileOp op) const {
  MutexLock lock(mu_);
  return calls_[static_cast<size_t>(op)];
}

void FaultInjectionFileSystem::HangNext(FileOp op) {
  MutexLock lock(mu_);
  hang_next_ = op;
}

void FaultInjectionFileSystem::Release() {
  {
    MutexLock lock(mu_);
    hanging_ = false;
  }
  released_.notify_all();
}

bool FaultInjectionFileSystem::hanging() const {
  MutexLock lock(mu_);
  return hanging_;
}

int FaultInjectionFileSystem::Check(FileOp op, size_t* short_write) {
  MutexLock lock(mu_);
  auto index = static_cast<size_t>(op);
  ++calls_[index];
  if (hang_next_ == op) {
    hang_next_.reset();
    hanging_ = true;
    released_.wait(lock, [this]() REQUIRES(mu_) { return !hanging_; });
  }
  if (op == FileOp::kAppend && short_write_ != SIZE_MAX) {
    *short_write = short_write_;
    short_write_ = SIZE_MAX;
    return ENOSPC;
  }
  if (no_space_ && (op == FileOp::kCreate || op == FileOp::kAppend)) return ENOSPC;
  Rule& rule = rules_[index];
  if (rule.times <= 0) return 0;
  if (rule.after > 0) {
    --rule.after;
    return 0;
  }
  --rule.times;
  return rule.error_number;
}

Result<std::unique_ptr<WritableFile>> FaultInjectionFileSystem::NewWritableFile(
    const std::string& path) {
  if (int error = Check(FileOp::kCreate); error != 0) {
    return tl::unexpected(FileError("cannot create", path, error));
  }
  auto file = base_.NewWritableFile(path);
  if (!file) return tl::unexpected(file.error());
  return std::make_unique<FaultWritableFile>(std::move(*file), path, *this);
}

Result<std::unique_ptr<RandomAccessFile>> FaultInjectionFileSystem::NewRandomAccessFile(
    const std::string& path) {
  if (int error = Check(FileOp::kOpen); error != 0) {
    return tl::unexpected(FileError("cannot open", path, error));
  }
  auto file = base_.NewRandomAccessFile(path);
  if (!file) return tl::unexpected(file.error());
  return std::make_unique<FaultRandomAccessFile>(std::move(*file), path, *this);
}

Result<std::vector<std::string>> FaultInjectionFileSystem::ListDir(const std::string& dir) {
  if (int error = Check(FileOp::kList); error != 0) {
    return tl::unexpected(FileError("cannot list", dir, error));
  }
  return base_.ListDir(dir);
}

Status FaultInjectionFileSystem::CreateDirs(const std::string& dir) {
  if (int error = Check(FileOp::kCreateDirs); error != 0) {
    return tl::unexpected(FileError("cannot create directory", dir, error));
  }
  return base_.CreateDirs(dir);
}

Status FaultInjectionFileSystem::Rename(const std::string& from, const std::string& to) {
  if (int error = Check(FileOp::kRename); error != 0) {
    return tl::unexpected(FileError("cannot rename", from + " to " + to, error));
  }
  return base_.Rename(from, to);
}

Status FaultInjectionFileSystem::Remove(const std::string& path) {
  if (int error = Check(FileOp::kRemove); error != 0) {
    return tl::unexpected(FileError("cannot remove", path, error));
  }
  return base_.Remove(path);
}

Status FaultInjectionFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (int error = Check(FileOp::kTruncatePath); error != 0) {
    return tl::unexpected(FileError("cannot truncate", path, error));
  }
  return base_.Truncate(path, size);
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  if (int error = Check(FileOp::kSyncDir); error != 0) {
    return tl::unexpected(FileError("cannot sync directory", dir, error));
  }
  return base_.SyncDir(dir);
}

Result<std::unique_ptr<FileLock>> FaultInjectionFileSystem::LockFile(const std::string& path) {
  if (int error = Check(FileOp::kLock); error != 0) {
    return tl::unexpected(FileError("cannot open", path, error));
  }
  return base_.LockFile(path);
}

}  // namespace sluice::testing
