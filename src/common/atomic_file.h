#pragma once

#include <string>
#include <string_view>

#include "common/file_system.h"
#include "common/status.h"

namespace sluice {

// Replaces the file at `path` with `text` so that a reader, or the next start after a crash,
// finds either the old file or the new one whole: written to `temporary` (removed first, if a
// crash left it), synced, renamed over `path`, and the directory synced. On failure
// `temporary` is removed and `path` left as it was. Thread-safe if no one else writes
// `temporary`.
Status WriteFileAtomically(FileSystem& fs, const std::string& path, std::string_view text,
                           const std::string& temporary);

}  // namespace sluice
