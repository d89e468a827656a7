#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pipeline/batch.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// What happened to a batch that Write() accepted.
enum class WriteOutcome { kCommitted, kAlreadyCommitted };

// Loads batches into sluice.events over one connection, in one transaction with their ledger
// rows in sluice.batches, so a batch retried after an unknown outcome (say the connection
// broke during COMMIT) is skipped instead of written twice. Several batches may share one
// transaction, which spreads its commit (a WAL flush) over all of them.
// Not thread-safe: owned by one writer thread.
class BatchWriter {
 public:
  // `conn` must be connected; `instance_id` names this sluiced in the ledger.
  BatchWriter(std::unique_ptr<PgConnection> conn, const std::string& instance_id);

  // kUnavailable: retry later (the transaction was rolled back or the connection is gone).
  // kRejected: the database refused the content; retrying the same batch will not help.
  // Returns one outcome per batch, in order.
  Result<std::vector<WriteOutcome>> Write(const std::vector<pipeline::Batch>& batches);

  PgConnection& connection() { return *conn_; }

 private:
  std::unique_ptr<PgConnection> conn_;
  std::string instance_literal_;  // instance id quoted as an SQL literal
};

}  // namespace sluice::sink
