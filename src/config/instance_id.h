#pragma once

#include <string>

#include "config/settings.h"

namespace sluice::config {

// The name a sluiced with `settings` commits its batches under in the ledger
// (sluice.batches.instance_id) and writes into its spool segments: "HOSTNAME:SOCKET".
// Thread-safe.
std::string InstanceId(const Settings& settings);

}  // namespace sluice::config
