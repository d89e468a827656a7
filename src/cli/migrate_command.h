#pragma once

#include "config/settings.h"

namespace sluice::cli {

// `sluice migrate`: creates or upgrades schema sluice, then creates the partitions ahead.
// Prints what it did; returns the process exit code (0, or 1 when the database refused).
int RunMigrate(const config::Settings& settings);

}  // namespace sluice::cli
