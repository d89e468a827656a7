#pragma once

#include <string>

#include "config/settings.h"

namespace sluice::config {

// The name a sluiced with `settings` commits its batches under in the ledger
// (sluice.batches.instance_id) and writes into its spool segments: database.instance_id when
// set, else "HOSTNAME:SOCKET". Changing it never re-sends a committed batch: a spooled batch
// is committed under the name in its segment's header, whatever the current one is.
// Thread-safe.
std::string InstanceId(const Settings& settings);

// This machine's name (gethostname), "localhost" if it has none. Thread-safe.
std::string MachineName();

// The host name rows get when their syslog header names none: ingest.host when set, else this
// machine's name (gethostname). Thread-safe.
std::string LocalHost(const Settings& settings);

}  // namespace sluice::config
