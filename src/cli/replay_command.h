#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace sluice::cli {

// `sluice replay`: loads spooled batches into the database over one connection, exactly once
// through the ledger (each segment's batches under the instance id in its header), so
// running it twice adds nothing. Without `segments`: every segment of spool.dir, oldest
// first, under the spool's lock (refused while a sluiced holds it); a fully replayed segment
// is deleted, a damaged one moved to quarantine/ after its intact batches. With `segments`:
// just those files, left in place (their directory's lock is taken if it has one). Shows a
// progress bar on a terminal, a summary otherwise. Returns 0; 1 when something could not be
// replayed (lock held, database unavailable, damage: the message says which).
int RunReplay(const config::Settings& settings, const std::vector<std::string>& segments);

}  // namespace sluice::cli
