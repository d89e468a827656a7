#pragma once

#include <memory>
#include <string>

#include "common/file_system.h"
#include "common/status.h"

namespace sluice::spool {

// Takes the exclusive lock of a spool directory (its LOCK file; the holder's pid is written
// in it), held until the returned lock is destroyed. kInvalidArgument, naming the holder's
// pid, when another process holds it. Thread-safe.
Result<std::unique_ptr<FileLock>> LockSpoolDirectory(FileSystem& fs, const std::string& dir);

}  // namespace sluice::spool
