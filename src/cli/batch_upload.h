#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/status.h"
#include "config/settings.h"
#include "format/batch.h"
#include "sink/batch_writer.h"

namespace sluice::cli {

// Writes `batches` in one transaction under `instance_id` (set on each batch) through `writer`
// (connecting it,
// as `application_name`, when it is null or broken), exactly once through the ledger;
// reconnects with backoff while the database is unavailable, at most 8 attempts. Counts into
// `counters` as the daemon's writers do. Not thread-safe.
Status UploadBatches(const config::Settings& settings, const std::string& application_name,
                     std::unique_ptr<sink::BatchWriter>& writer, const std::string& instance_id,
                     std::vector<format::Batch>& batches, Counters& counters);

}  // namespace sluice::cli
