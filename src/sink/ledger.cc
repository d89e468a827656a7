#include "sink/ledger.h"

namespace sluice::sink {

std::string LedgerValues(const std::string& instance_literal, const format::Batch& batch,
                         uint64_t rows_stored) {
  return "(" + instance_literal + ", " + std::to_string(batch.id) + ", " +
         std::to_string(rows_stored + batch.aggregate_rows + batch.shed_rows) + ", " +
         std::to_string(batch.events()) + ")";
}

std::string ClaimSql(const std::string& values) {
  return "INSERT INTO sluice.batches (instance_id, batch_id, rows, events) VALUES " + values +
         " ON CONFLICT DO NOTHING RETURNING batch_id";
}

std::string SetLedgerRowsSql(const std::string& instance_literal, uint64_t batch_id,
                             uint64_t rows) {
  return "UPDATE sluice.batches SET rows = " + std::to_string(rows) +
         " WHERE instance_id = " + instance_literal + " AND batch_id = " + std::to_string(batch_id);
}

}  // namespace sluice::sink
