#pragma once

#include <string>
#include <vector>

#include "common/counters.h"
#include "common/status.h"
#include "format/batch.h"
#include "sink/batch_writer.h"

namespace sluice::sink {

// Writes `batches` with `writer` and counts what became of them in `counters`: committed
// (stored, malformed, aggregated, batches), skipped (already in the ledger), set aside
// (dead_lettered) or lost (shed, rejected). A group the database refuses for its content is
// retried batch by batch, and a refused batch goes through
// BatchWriter::WriteSettingAsideRefusedRows(). Returns the error that should make the caller
// retry later (nothing of the failing group was committed), or Ok. `who` prefixes log lines.
// Thread-safe as far as `counters` goes; `writer` is the calling thread's own.
Status WriteCounted(BatchWriter& writer, std::vector<format::Batch>& batches, Counters& counters,
                    const std::string& who);

}  // namespace sluice::sink
