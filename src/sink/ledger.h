#pragma once

#include <cstdint>
#include <string>

#include "format/batch.h"

namespace sluice::sink {

// The SQL of the batch ledger, sluice.batches: one row per committed batch, keyed by the
// instance that wrote it and the batch id, inserted in the transaction that loads the batch's
// rows, so a batch sent again is recognised and skipped. Stateless and thread-safe.

// "(instance, id, rows, events)": the ledger row of `batch` with `rows_stored` detail rows
// (its aggregate and shed rows are added). `instance_literal` is already quoted for SQL.
std::string LedgerValues(const std::string& instance_literal, const format::Batch& batch,
                         uint64_t rows_stored);

// Claims the ledger rows `values` (LedgerValues, comma-separated) in the transaction just
// begun: the statement returns the ids of the batches not committed before.
std::string ClaimSql(const std::string& values);

// Corrects the rows a claimed batch stored, once some were set aside.
std::string SetLedgerRowsSql(const std::string& instance_literal, uint64_t batch_id, uint64_t rows);

}  // namespace sluice::sink
