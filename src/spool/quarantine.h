#pragma once

#include <string>

#include "common/file_system.h"

namespace sluice::spool {

// The folder of a spool directory where damaged segments are kept for a person to look at.
std::string QuarantineDir(const std::string& spool_dir);

// Moves the segment file `path` into QuarantineDir(spool_dir), keeping its name. The move,
// or its failure, is logged; nothing is returned because a failed move leaves the file where it
// was, which the next start reads again. Thread-safe.
void MoveToQuarantine(FileSystem& fs, const std::string& spool_dir, const std::string& path);

}  // namespace sluice::spool
