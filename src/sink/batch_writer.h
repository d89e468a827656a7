#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/status.h"
#include "format/batch.h"
#include "sink/pg_connection.h"
#include "sink/write_outcome.h"

namespace sluice::sink {

// Loads batches into sluice.events over one connection, in one transaction with their ledger
// rows in sluice.batches, so a batch retried after an unknown outcome (say the connection
// broke during COMMIT) is skipped instead of written twice. Several batches may share one
// transaction, which spreads its commit (a WAL flush) over all of them. Each batch is committed
// under its own `instance_id` when it has one (read from another instance's segment), else
// under this writer's.
// Not thread-safe: owned by one writer thread.
class BatchWriter {
 public:
  // `conn` must be connected; `instance_id` names this sluiced in the ledger.
  BatchWriter(std::unique_ptr<PgConnection> conn, const std::string& instance_id);

  // kUnavailable: retry later (the transaction was rolled back or the connection is gone).
  // kRejected: the database refused the content; retrying the same batch will not help.
  // Returns one outcome per batch, in order.
  // When the COMMIT itself fails, the batches it would have committed are marked
  // `commit_in_doubt`: it may have committed all the same.
  Result<std::vector<WriteOutcome>> Write(std::vector<format::Batch>& batches);

  // For a batch Write() got kRejected for: writes it with RefusedRowWriter, which sets the
  // refused rows aside in sluice.dead_letters and commits the rest.
  // kUnavailable: retry later; nothing was committed.
  Result<IsolatedWrite> WriteSettingAsideRefusedRows(const format::Batch& batch);

  PgConnection& connection() { return *conn_; }

 private:
  // The ledger name of `batch` (its own, or this writer's) quoted as an SQL literal.
  std::string LiteralFor(const format::Batch& batch) const;

  std::unique_ptr<PgConnection> conn_;
  std::string instance_id_;
  std::string instance_literal_;  // instance id quoted as an SQL literal
};

}  // namespace sluice::sink
