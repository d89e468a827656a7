#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace sluice::cli {

// `sluice import`: loads existing log files (mail.log and its rotated, gzip- or
// zstd-compressed siblings; "-" for stdin) through the parser and batcher sluiced uses, with
// or without a <PRI> prefix on each line, keeping what ingest.keep keeps. Year-less
// timestamps are resolved against the file's mtime. Each file loads exactly once through the
// ledger, under the instance id "import:HOST:PATH:SIZE:MTIME": importing an unchanged file
// again adds nothing (stdin is always new). Progress bar on a terminal, one summary line per
// file. Returns 0; 1 when a file could not be read or loaded (the others still are).
int RunImport(const config::Settings& settings, const std::vector<std::string>& paths);

}  // namespace sluice::cli
