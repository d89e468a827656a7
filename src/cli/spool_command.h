#pragma once

#include "config/settings.h"

namespace sluice::cli {

// `sluice spool ls`: one line per segment in spool.dir and its quarantine/: batches, rows,
// bytes on disk, uncompressed bytes, ratio, last change, state. Read-only; safe while sluiced
// runs. Returns the exit code (0; 1 when the directory cannot be read).
int RunSpoolList(const config::Settings& settings);

// `sluice spool verify`: reads every record of every segment, checking zstd's checksums.
// Prints what is damaged or torn; returns 0 when everything is intact, 1 otherwise.
int RunSpoolVerify(const config::Settings& settings);

}  // namespace sluice::cli
