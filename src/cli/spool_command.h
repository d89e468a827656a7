#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace sluice::cli {

// `sluice spool ls`: one line per segment in spool.dir and its quarantine/: batches, rows,
// bytes on disk, uncompressed bytes, ratio, oldest and newest event, state. Read-only; safe
// while sluiced runs. Returns the exit code (0; 1 when the directory cannot be read).
int RunSpoolList(const config::Settings& settings);

// `sluice spool verify`: reads every record of every segment, checking zstd's checksums.
// Prints what is damaged or torn; returns 0 when everything is intact, 1 otherwise.
int RunSpoolVerify(const config::Settings& settings);

// `sluice spool cat`: every row of every intact batch in `segments` (default: the segments
// of spool.dir, oldest first), one line each: "received_at<TAB>raw", or with `json` one JSON
// object of all non-NULL columns. Damage is reported on stderr and skipped; returns 1 then.
int RunSpoolCat(const config::Settings& settings, const std::vector<std::string>& segments,
                bool json);

}  // namespace sluice::cli
