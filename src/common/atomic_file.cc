#include "common/atomic_file.h"

namespace sluice {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status WriteAndRename(FileSystem& fs, const std::string& path, std::string_view text,
                      const std::string& temporary) {
  {
    auto file = fs.NewWritableFile(temporary);
    if (!file) return tl::unexpected(file.error());
    SLUICE_RETURN_IF_ERROR((*file)->Append(text));
    SLUICE_RETURN_IF_ERROR((*file)->Sync());
  }  // closed before the rename
  SLUICE_RETURN_IF_ERROR(fs.Rename(temporary, path));
  return fs.SyncDir(DirectoryOf(path));
}

}  // namespace

Status WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view text,
                           const std::string& temporary) {
  (void)fs.Remove(temporary);  // left by a crash mid-write, if at all
  Status written = WriteAndRename(fs, path, text, temporary);
  if (!written) (void)fs.Remove(temporary);
  return written;
}

}  // namespace sluice
