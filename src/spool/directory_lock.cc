#include "spool/directory_lock.h"

namespace sluice::spool {

Result<std::unique_ptr<FileLock>> LockSpoolDirectory(FileSystem& fs, const std::string& dir) {
  auto lock = fs.LockFile(dir + "/LOCK");
  if (!lock && lock.error().code() == ErrorCode::kUnavailable) {
    return Fail(ErrorCode::kInvalidArgument,
                "spool " + dir + " is in use by another process (pid " + lock.error().message() +
                    "); stop it first or use another spool.dir");
  }
  return lock;
}

}  // namespace sluice::spool
