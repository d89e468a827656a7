#include "sink/batch_writer.h"

#include "pipeline/copy_encoder.h"

namespace sluice::sink {
namespace {

const std::string& CopySql() {
  static const std::string* sql =
      new std::string("COPY sluice.events (" + std::string(pipeline::kEventColumns) +
                      ") FROM STDIN (FORMAT binary)");
  return *sql;
}

}  // namespace

BatchWriter::BatchWriter(std::unique_ptr<PgConnection> conn, const std::string& instance_id)
    : conn_(std::move(conn)) {
  char* literal = PQescapeLiteral(conn_->raw(), instance_id.data(), instance_id.size());
  ledger_insert_prefix_ =
      "BEGIN; INSERT INTO sluice.batches (instance_id, batch_id, rows, events) VALUES (" +
      std::string(literal != nullptr ? literal : "'?'") + ", ";
  PQfreemem(literal);
}

Result<WriteOutcome> BatchWriter::Write(const pipeline::Batch& batch) {
  std::string rows = std::to_string(batch.rows);
  auto inserted = conn_->ExecScalar(ledger_insert_prefix_ + std::to_string(batch.id) + ", " + rows +
                                    ", " + rows + ") ON CONFLICT DO NOTHING RETURNING 1");
  Status status = Ok();
  if (!inserted) {
    status = tl::unexpected(inserted.error());
  } else if (inserted->empty()) {  // in the ledger already: committed by an earlier attempt
    SLUICE_RETURN_IF_ERROR(conn_->Exec("ROLLBACK"));
    return WriteOutcome::kAlreadyCommitted;
  } else {
    status = conn_->CopyIn(CopySql(), batch.copy_data);
    if (status) status = conn_->Exec("COMMIT");
  }
  if (!status) {
    if (conn_->ok()) (void)conn_->Exec("ROLLBACK");  // the original error is the one to report
    return tl::unexpected(status.error());
  }
  return WriteOutcome::kCommitted;
}

}  // namespace sluice::sink
