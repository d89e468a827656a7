#include "ingest/followed_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/posix_file_system.h"

namespace sluice::ingest {
Result<bool> FollowedFile::Open(const FilePosition& at) {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return false;
    return tl::unexpected(FileError("cannot open", path_, errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(FileError("cannot stat", path_, errno));
  position_ = at;
  if (at.inode != st.st_ino) {
    position_ = {st.st_ino, 0, 0};
  } else if (static_cast<uint64_t>(st.st_size) < at.offset) {  // truncated while away
    position_ = {st.st_ino, at.generation + 1, 0};
  }
  if (position_.offset > 0 &&  // a pipe cannot seek, and needs not at its start
      ::lseek(fd.get(), static_cast<off_t>(position_.offset), SEEK_SET) < 0) {
    return tl::unexpected(FileError("cannot seek in", path_, errno));
  }
  fd_ = std::move(fd);
  pending_.clear();
  return true;
}

Status FollowedFile::CheckRotation() {
  struct stat now {};
  struct stat path_now {};
  if (::fstat(fd_.get(), &now) != 0) return tl::unexpected(FileError("cannot stat", path_, errno));
  if (static_cast<uint64_t>(now.st_size) < position_.offset + pending_.size()) {
    // Truncated in place (copytruncate): a new life of the same file, from its start.
    position_ = {position_.inode, position_.generation + 1, 0};
    pending_.clear();
    if (::lseek(fd_.get(), 0, SEEK_SET) < 0)
      return tl::unexpected(FileError("cannot seek in", path_, errno));
    return Ok();
  }
  bool renamed = ::stat(path_.c_str(), &path_now) != 0 || path_now.st_ino != now.st_ino;
  if (renamed) {
    // Renamed away (and maybe a new file created): this one has been read to its end; the
    // next Read() starts the file now at the path, if any. A partial last line is dropped:
    // its writer has moved on to the new file.
    fd_.Reset();
    pending_.clear();
    auto reopened = Open(FilePosition{});
    if (!reopened) return tl::unexpected(reopened.error());
    return Ok();
  }
  return Ok();
}

Result<FilePosition> FollowedFile::Read(std::vector<std::string>& lines, size_t max_lines,
                                        size_t max_bytes) {
  if (!fd_.valid()) {  // not there yet, or closed after a read error: where we were, if it is
    auto opened = Open(position_);
    if (!opened) return tl::unexpected(opened.error());
    if (!*opened) return position_;
  }
  size_t taken = 0;
  char buffer[64 * 1024];
  while (lines.size() < max_lines && taken < max_bytes) {
    size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      lines.emplace_back(pending_, 0, newline);
      position_.offset += newline + 1;
      taken += newline + 1;
      pending_.erase(0, newline + 1);
      continue;
    }
    ssize_t n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error error = FileError("cannot read", path_, errno);
      fd_.Reset();  // opened again at the next Read()
      pending_.clear();
      return tl::unexpected(error);
    }
    if (n == 0) {
      if (lines.empty()) SLUICE_RETURN_IF_ERROR(CheckRotation());
      break;
    }
    pending_.append(buffer, static_cast<size_t>(n));
  }
  return position_;
}

}  // namespace sluice::ingest
