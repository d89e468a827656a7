#include "common/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/unique_fd.h"

namespace sluice {
namespace {

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_.get(), data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return tl::unexpected(FileError("cannot write", path_, errno));
      if (n == 0) return tl::unexpected(FileError("cannot write", path_, EIO));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0 ||
        ::lseek(fd_.get(), static_cast<off_t>(size), SEEK_SET) < 0) {
      return tl::unexpected(FileError("cannot truncate", path_, errno));
    }
    return Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_.get()) != 0) return tl::unexpected(FileError("cannot sync", path_, errno));
    return Ok();
  }

 private:
  UniqueFd fd_;
  std::string path_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(UniqueFd fd, std::string path)
      : fd_(std::move(fd)), path_(std::move(path)) {}

  Result<std::string> Read(uint64_t offset, uint64_t length) const override {
    std::string bytes(length, '\0');
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::pread(fd_.get(), bytes.data() + done, bytes.size() - done,
                          static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return tl::unexpected(FileError("cannot read", path_, errno));
      if (n == 0) {
        return Fail(ErrorCode::kIoError, "cannot read " + path_ + ": shorter than expected");
      }
      done += static_cast<size_t>(n);
    }
    return bytes;
  }

  Result<uint64_t> Size() const override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return tl::unexpected(FileError("cannot stat", path_, errno));
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  UniqueFd fd_;
  std::string path_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(UniqueFd fd) : fd_(std::move(fd)) {}

 private:
  UniqueFd fd_;  // closing it releases the flock
};

}  // namespace

Error FileError(std::string_view what, const std::string& path, int error_number) {
  ErrorCode code =
      error_number == ENOSPC || error_number == EDQUOT ? ErrorCode::kNoSpace : ErrorCode::kIoError;
  return Error(code, std::string(what) + " " + path + ": " + std::strerror(error_number));
}

Result<std::unique_ptr<WritableFile>> PosixFileSystem::NewWritableFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (!fd.valid()) return tl::unexpected(FileError("cannot create", path, errno));
  return std::make_unique<PosixWritableFile>(std::move(fd), path);
}

Result<std::unique_ptr<RandomAccessFile>> PosixFileSystem::NewRandomAccessFile(
    const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return tl::unexpected(FileError("cannot open", path, errno));
  return std::make_unique<PosixRandomAccessFile>(std::move(fd), path);
}

Result<std::vector<std::string>> PosixFileSystem::ListDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  if (ec) return Fail(ErrorCode::kIoError, "cannot list " + dir + ": " + ec.message());
  return names;
}

Status PosixFileSystem::CreateDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return tl::unexpected(FileError("cannot create directory", dir, ec.value()));
  return Ok();
}

Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return tl::unexpected(FileError("cannot rename", from + " to " + to, errno));
  }
  return Ok();
}

Status PosixFileSystem::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return tl::unexpected(FileError("cannot remove", path, errno));
  return Ok();
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return tl::unexpected(FileError("cannot truncate", path, errno));
  }
  return Ok();
}

Status PosixFileSystem::SyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    return tl::unexpected(FileError("cannot sync directory", dir, errno));
  }
  return Ok();
}

Result<std::unique_ptr<FileLock>> PosixFileSystem::LockFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (!fd.valid()) return tl::unexpected(FileError("cannot open", path, errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!::pread(fd.get(), pid, sizeof pid - 1, 0);
    return Fail(ErrorCode::kUnavailable, pid);
  }
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), me.data(), me.size(), 0) < 0) {
    return tl::unexpected(FileError("cannot write", path, errno));
  }
  return std::make_unique<PosixFileLock>(std::move(fd));
}

}  // namespace sluice
