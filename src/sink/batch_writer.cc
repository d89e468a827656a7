#include "sink/batch_writer.h"

#include <algorithm>

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
  instance_literal_ = literal != nullptr ? literal : "'?'";
  PQfreemem(literal);
}

Result<std::vector<WriteOutcome>> BatchWriter::Write(const std::vector<pipeline::Batch>& batches) {
  std::string ledger =
      "BEGIN; INSERT INTO sluice.batches (instance_id, batch_id, rows, events) VALUES ";
  for (size_t i = 0; i < batches.size(); ++i) {
    std::string rows = std::to_string(batches[i].rows);
    ledger += (i == 0 ? "(" : ", (") + instance_literal_ + ", " + std::to_string(batches[i].id) +
              ", " + rows + ", " + rows + ")";
  }
  ledger += " ON CONFLICT DO NOTHING RETURNING batch_id";

  std::vector<WriteOutcome> outcomes(batches.size(), WriteOutcome::kAlreadyCommitted);
  auto fresh = conn_->ExecColumn(ledger);
  Status status = Ok();
  if (!fresh) {
    status = tl::unexpected(fresh.error());
  } else if (fresh->empty()) {  // all in the ledger already: committed by an earlier attempt
    SLUICE_RETURN_IF_ERROR(conn_->Exec("ROLLBACK"));
    return outcomes;
  } else {
    for (size_t i = 0; i < batches.size() && status; ++i) {
      std::string id = std::to_string(batches[i].id);
      auto found = std::find(fresh->begin(), fresh->end(), id);
      if (found == fresh->end()) continue;  // committed before
      fresh->erase(found);                  // a duplicate id later in the group is not new
      outcomes[i] = WriteOutcome::kCommitted;
      status = conn_->CopyIn(CopySql(), batches[i].copy_data);
    }
    if (status) status = conn_->Exec("COMMIT");
  }
  if (!status) {
    if (conn_->ok()) (void)conn_->Exec("ROLLBACK");  // the original error is the one to report
    return tl::unexpected(status.error());
  }
  return outcomes;
}

}  // namespace sluice::sink
