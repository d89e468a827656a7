#pragma once

#include "config/settings.h"

namespace sluice::cli {

// `sluice prune [--days N]`: drops what is older than N days (default
// database.retention_days) once, as sluiced's hourly upkeep does (sink::DropExpired), and
// prints what it dropped. Exit 0, or 1 with the reason (no limit given, the database refused).
int RunPrune(const config::Settings& settings, int days);

}  // namespace sluice::cli
