#include "sink/batch_writer.h"

#include <algorithm>
#include <string>

#include "sink/copy_statements.h"
#include "sink/ledger.h"
#include "sink/refused_rows.h"

namespace sluice::sink {

BatchWriter::BatchWriter(std::unique_ptr<PgConnection> conn, const std::string& instance_id)
    : conn_(std::move(conn)),
      instance_id_(instance_id),
      instance_literal_(conn_->Literal(instance_id)) {}

std::string BatchWriter::LiteralFor(const format::Batch& batch) const {
  if (batch.instance_id.empty() || batch.instance_id == instance_id_) return instance_literal_;
  return conn_->Literal(batch.instance_id);
}

Result<std::vector<WriteOutcome>> BatchWriter::Write(std::vector<format::Batch>& batches) {
  std::string values;
  for (size_t i = 0; i < batches.size(); ++i) {
    values +=
        (i == 0 ? "" : ", ") + LedgerValues(LiteralFor(batches[i]), batches[i], batches[i].rows);
  }

  std::vector<WriteOutcome> outcomes(batches.size(), WriteOutcome::kAlreadyCommitted);
  auto fresh = conn_->ExecColumn(conn_->BeginSql() + ClaimSql(values));
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
      if (!batches[i].copy_data.empty()) {
        status = conn_->CopyIn(EventsCopySql(batches[i].format), batches[i].copy_data);
      }
      if (status) status = CopySummaries(*conn_, batches[i]);
    }
    if (status) {
      status = conn_->Exec("COMMIT");
      if (!status) {  // it may have committed all the same
        for (size_t i = 0; i < batches.size(); ++i) {
          if (outcomes[i] == WriteOutcome::kCommitted) batches[i].commit_in_doubt = true;
        }
      }
    }
  }
  if (!status) {
    if (conn_->ok()) (void)conn_->Exec("ROLLBACK");  // the original error is the one to report
    return tl::unexpected(status.error());
  }
  return outcomes;
}

Result<IsolatedWrite> BatchWriter::WriteSettingAsideRefusedRows(const format::Batch& batch) {
  if (batch.instance_id.empty() || batch.instance_id == instance_id_) {
    return RefusedRowWriter(*conn_, instance_id_, instance_literal_).Write(batch);
  }
  return RefusedRowWriter(*conn_, batch.instance_id, LiteralFor(batch)).Write(batch);
}

}  // namespace sluice::sink
