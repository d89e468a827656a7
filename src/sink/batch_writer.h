#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/counters.h"
#include "common/status.h"
#include "format/batch.h"
#include "sink/pg_connection.h"

namespace sluice::sink {

// What happened to a batch that Write() accepted.
enum class WriteOutcome {
  kCommitted,
  kAlreadyCommitted,
  kRefused,  // only from WriteSettingAsideRefusedRows: nothing committed, every row lost
};

// What WriteSettingAsideRefusedRows() did with a batch.
struct IsolatedWrite {
  WriteOutcome outcome = WriteOutcome::kCommitted;
  uint32_t dead_lettered = 0;        // rows put in sluice.dead_letters instead
  uint32_t lost = 0;                 // refused rows that sluice.dead_letters refused too
  uint32_t malformed_set_aside = 0;  // of dead_lettered + lost, rows flagged malformed
};

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
  Result<std::vector<WriteOutcome>> Write(const std::vector<format::Batch>& batches);

  // Write() with the accounting: counts what was committed (stored, malformed, batches),
  // skipped (already in the ledger), set aside (dead_lettered) or lost (shed rejected) in
  // `counters`. A group the database refuses is retried batch by batch, and a refused batch
  // goes through WriteSettingAsideRefusedRows(). Returns the error that should make the caller
  // retry later (nothing of the failing group was committed), or Ok. `who` prefixes log lines.
  Status WriteCounted(std::vector<format::Batch>& batches, Counters& counters,
                      const std::string& who);

  // For a batch Write() got kRejected for: writes it in one transaction (with its ledger row,
  // `rows` = rows stored) but finds the refused rows by bisection, each range under a
  // savepoint, and puts each refused row in sluice.dead_letters with the server's error.
  // A batch whose COPY stream cannot be split is set aside whole (row_in_batch -1). When
  // setting aside is refused too, nothing is committed and every row is counted `lost`.
  // kUnavailable: retry later; nothing was committed.
  Result<IsolatedWrite> WriteSettingAsideRefusedRows(const format::Batch& batch);

  PgConnection& connection() { return *conn_; }
  // Commits the next batches under another ledger name (as `sluice replay` does for
  // segments another sluiced wrote).
  void SetInstanceId(const std::string& instance_id);

 private:
  // Loads tuples [begin, end) of a batch under a savepoint; on refusal, halves the range
  // until single rows remain and sets those aside. Errors other than refusals end it.
  Status LoadOrBisect(const format::Batch& batch, const std::vector<std::string_view>& tuples,
                      size_t begin, size_t end, IsolatedWrite& result);
  // Adds a committed batch's aggregate and shed rows to `counters`.
  static void CountSummaries(const format::Batch& batch, Counters& counters);
  // Inserts one refused row (or, with row -1, a whole unsplittable batch) into
  // sluice.dead_letters under a savepoint; counts it as lost if that is refused too.
  Status SetAside(const format::Batch& batch, int64_t row, std::string_view tuple, uint32_t rows,
                  uint32_t malformed, const std::string& error, IsolatedWrite& result);

  std::unique_ptr<PgConnection> conn_;
  std::string instance_id_;
  std::string instance_literal_;  // instance id quoted as an SQL literal
};

}  // namespace sluice::sink
