#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace sluice::cli {

// `sluice import --follow FILE...`: follows growing log files like `tail -F` (cli/
// followed_file.h) until SIGINT or SIGTERM, through the same parsers and accounting as
// `sluice import`, each new piece committed in one transaction. Exactly once across
// restarts, kill -9 included: a batch's ledger identity is its file (host, path, inode,
// generation) and the offset where it ends, so the last committed batch tells where to go on;
// the position is also kept in spool.dir/follow/ (for when the ledger has been pruned). Lines
// written to a file after it was renamed away and it was left, or between a copytruncate's
// copy and its truncation, are not read (as with tail -F). Returns the exit code.
int RunFollow(const config::Settings& settings, const std::vector<std::string>& paths);

}  // namespace sluice::cli
