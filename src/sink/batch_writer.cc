#include "sink/batch_writer.h"

#include <algorithm>
#include <string>

#include "common/logging.h"
#include "format/copy_decoder.h"
#include "format/copy_encoder.h"
#include "format/summary_encoder.h"

namespace sluice::sink {
namespace {

std::string CopySql(std::string_view table, std::string_view columns) {
  return "COPY sluice." + std::string(table) + " (" + std::string(columns) +
         ") FROM STDIN (FORMAT binary)";
}

// The COPY statement for a batch's events stream, by its format.
const std::string& EventsCopySql(uint32_t format) {
  static const std::string* v2 =
      new std::string(CopySql("events", format::EventColumnsOf(format::kBatchFormatV2)));
  static const std::string* current =
      new std::string(CopySql("events", format::EventColumnsOf(format::kBatchFormat)));
  return format <= format::kBatchFormatV2 ? *v2 : *current;
}

// Loads a batch's aggregate and shed rows, if it has any.
Status CopySummaries(PgConnection& conn, const format::Batch& batch) {
  static const std::string* aggregates =
      new std::string(CopySql("aggregates", format::kAggregateColumns));
  static const std::string* shed = new std::string(CopySql("shed", format::kShedColumns));
  if (!batch.aggregate_data.empty()) {
    SLUICE_RETURN_IF_ERROR(conn.CopyIn(*aggregates, batch.aggregate_data));
  }
  if (!batch.shed_data.empty()) SLUICE_RETURN_IF_ERROR(conn.CopyIn(*shed, batch.shed_data));
  return Ok();
}

// "(instance, id, rows, events)" for the ledger: rows of every table, events brought in.
std::string LedgerValues(const std::string& instance_literal, const format::Batch& batch,
                         uint64_t rows_stored) {
  return "(" + instance_literal + ", " + std::to_string(batch.id) + ", " +
         std::to_string(rows_stored + batch.aggregate_rows + batch.shed_rows) + ", " +
         std::to_string(batch.events()) + ")";
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 15]);
  }
  return out;
}

}  // namespace

BatchWriter::BatchWriter(std::unique_ptr<PgConnection> conn, const std::string& instance_id)
    : conn_(std::move(conn)) {
  SetInstanceId(instance_id);
}

void BatchWriter::SetInstanceId(const std::string& instance_id) {
  instance_id_ = instance_id;
  char* literal = PQescapeLiteral(conn_->raw(), instance_id.data(), instance_id.size());
  instance_literal_ = literal != nullptr ? literal : "'?'";
  PQfreemem(literal);
}

Result<std::vector<WriteOutcome>> BatchWriter::Write(const std::vector<format::Batch>& batches) {
  std::string ledger =
      "BEGIN; INSERT INTO sluice.batches (instance_id, batch_id, rows, events) VALUES ";
  for (size_t i = 0; i < batches.size(); ++i) {
    ledger += (i == 0 ? "" : ", ") + LedgerValues(instance_literal_, batches[i], batches[i].rows);
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
      if (!batches[i].copy_data.empty()) {
        status = conn_->CopyIn(EventsCopySql(batches[i].format), batches[i].copy_data);
      }
      if (status) status = CopySummaries(*conn_, batches[i]);
    }
    if (status) status = conn_->Exec("COMMIT");
  }
  if (!status) {
    if (conn_->ok()) (void)conn_->Exec("ROLLBACK");  // the original error is the one to report
    return tl::unexpected(status.error());
  }
  return outcomes;
}

Status BatchWriter::WriteCounted(std::vector<format::Batch>& batches, Counters& counters,
                                 const std::string& who) {
  auto outcomes = Write(batches);
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected && batches.size() > 1) {
    // One of them is refused for its content: find which, writing one batch at a time.
    for (format::Batch& batch : batches) {
      std::vector<format::Batch> single;
      single.push_back(std::move(batch));
      Status status = WriteCounted(single, counters, who);
      batch = std::move(single.front());
      if (!status) return status;  // retryable; batches already committed are skipped later
    }
    return Ok();
  }
  if (!outcomes && outcomes.error().code() == ErrorCode::kRejected) {
    const format::Batch& batch = batches.front();
    LogWarn(who + ": batch " + std::to_string(batch.id) + " refused by the database (" +
            outcomes.error().message() + "); looking for the refused rows");
    counters.db_errors.fetch_add(1, std::memory_order_relaxed);
    auto isolated = WriteSettingAsideRefusedRows(batch);
    if (!isolated) return tl::unexpected(isolated.error());
    if (isolated->outcome == WriteOutcome::kAlreadyCommitted) {
      counters.batches_skipped.fetch_add(1, std::memory_order_relaxed);
      return Ok();
    }
    uint32_t set_aside = isolated->dead_lettered + isolated->lost;
    uint32_t malformed = batch.malformed - std::min(batch.malformed, isolated->malformed_set_aside);
    counters.stored.fetch_add(batch.rows - set_aside - malformed, std::memory_order_relaxed);
    counters.malformed.fetch_add(malformed, std::memory_order_relaxed);
    counters.dead_lettered.fetch_add(isolated->dead_lettered, std::memory_order_relaxed);
    counters.Shed(counters.shed_rejected, isolated->lost);
    if (isolated->outcome == WriteOutcome::kCommitted) {
      CountSummaries(batch, counters);
      counters.batches_committed.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters.Shed(counters.shed_rejected, batch.aggregated_events);
    }
    return Ok();
  }
  if (!outcomes) return tl::unexpected(outcomes.error());
  for (size_t i = 0; i < batches.size(); ++i) {
    if ((*outcomes)[i] != WriteOutcome::kCommitted) {
      counters.batches_skipped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    counters.stored.fetch_add(batches[i].rows - batches[i].malformed, std::memory_order_relaxed);
    counters.malformed.fetch_add(batches[i].malformed, std::memory_order_relaxed);
    CountSummaries(batches[i], counters);
    counters.batches_committed.fetch_add(1, std::memory_order_relaxed);
  }
  return Ok();
}

void BatchWriter::CountSummaries(const format::Batch& batch, Counters& counters) {
  counters.aggregated.fetch_add(batch.aggregated_events, std::memory_order_relaxed);
  counters.aggregate_rows.fetch_add(batch.aggregate_rows, std::memory_order_relaxed);
  counters.shed_rows.fetch_add(batch.shed_rows, std::memory_order_relaxed);
}

Result<IsolatedWrite> BatchWriter::WriteSettingAsideRefusedRows(const format::Batch& batch) {
  IsolatedWrite result;
  std::string id = std::to_string(batch.id);
  auto fail = [&](const Error& error) -> Result<IsolatedWrite> {
    if (conn_->ok()) (void)conn_->Exec("ROLLBACK");
    if (error.code() != ErrorCode::kRejected) return tl::unexpected(error);
    // The setting aside itself is refused (say, no right to write sluice.dead_letters): the
    // batch must still not block the queue forever.
    LogError("batch " + id + ": its refused rows cannot be set aside (" + error.message() +
             "); its " + std::to_string(batch.rows) + " rows are counted as shed");
    IsolatedWrite lost;
    lost.outcome = WriteOutcome::kRefused;
    lost.lost = batch.rows;
    lost.malformed_set_aside = batch.malformed;
    return lost;
  };
  auto fresh = conn_->ExecColumn(
      "BEGIN; INSERT INTO sluice.batches (instance_id, batch_id, rows, events) VALUES " +
      LedgerValues(instance_literal_, batch, batch.rows) +
      " ON CONFLICT DO NOTHING RETURNING batch_id");
  if (!fresh) return fail(fresh.error());
  if (fresh->empty()) {
    SLUICE_RETURN_IF_ERROR(conn_->Exec("ROLLBACK"));
    result.outcome = WriteOutcome::kAlreadyCommitted;
    return result;
  }
  Status status = Ok();
  if (!batch.copy_data.empty()) {
    auto tuples = format::CopyDecoder::SplitTuples(batch.copy_data);
    status = tuples ? LoadOrBisect(batch, *tuples, 0, tuples->size(), result)
                    : SetAside(batch, -1, batch.copy_data, batch.rows, batch.malformed,
                               "the batch's COPY stream could not be split into rows: " +
                                   tuples.error().message(),
                               result);
  }
  // Summary rows are sluiced's own counts: if they are refused, the whole batch is.
  if (status) status = CopySummaries(*conn_, batch);
  if (status && result.dead_lettered + result.lost > 0) {
    uint64_t stored = batch.rows - result.dead_lettered - result.lost;
    status = conn_->Exec("UPDATE sluice.batches SET rows = " +
                         std::to_string(stored + batch.aggregate_rows + batch.shed_rows) +
                         " WHERE instance_id = " + instance_literal_ + " AND batch_id = " + id);
  }
  if (status) status = conn_->Exec("COMMIT");
  if (!status) return fail(status.error());
  return result;
}

Status BatchWriter::LoadOrBisect(const format::Batch& batch,
                                 const std::vector<std::string_view>& tuples, size_t begin,
                                 size_t end, IsolatedWrite& result) {
  if (begin == end) return Ok();
  SLUICE_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT rows"));
  std::vector<std::string_view> range(tuples.begin() + static_cast<std::ptrdiff_t>(begin),
                                      tuples.begin() + static_cast<std::ptrdiff_t>(end));
  Status loaded =
      conn_->CopyIn(EventsCopySql(batch.format), format::CopyDecoder::Assemble(range));
  if (loaded) return conn_->Exec("RELEASE SAVEPOINT rows");
  if (loaded.error().code() != ErrorCode::kRejected) return loaded;
  SLUICE_RETURN_IF_ERROR(conn_->Exec("ROLLBACK TO SAVEPOINT rows; RELEASE SAVEPOINT rows"));
  if (end - begin == 1) {
    auto fields = format::CopyDecoder::DecodeTuple(tuples[begin]);
    uint32_t malformed = fields && format::FieldText(*fields, "malformed") == "true" ? 1 : 0;
    return SetAside(batch, static_cast<int64_t>(begin), tuples[begin], 1, malformed,
                    loaded.error().message(), result);
  }
  size_t middle = begin + (end - begin) / 2;
  SLUICE_RETURN_IF_ERROR(LoadOrBisect(batch, tuples, begin, middle, result));
  return LoadOrBisect(batch, tuples, middle, end, result);
}

Status BatchWriter::SetAside(const format::Batch& batch, int64_t row, std::string_view tuple,
                             uint32_t rows, uint32_t malformed, const std::string& error,
                             IsolatedWrite& result) {
  std::string raw;
  if (row >= 0) {
    if (auto fields = format::CopyDecoder::DecodeTuple(tuple)) {
      raw = format::FieldText(*fields, "raw");
    }
  }
  std::string batch_id = std::to_string(batch.id);
  std::string row_text = std::to_string(row);
  std::string bytes = Hex(tuple);
  SLUICE_RETURN_IF_ERROR(conn_->Exec("SAVEPOINT dead_letter"));
  Status inserted = conn_->ExecParams(
      "INSERT INTO sluice.dead_letters (instance_id, batch_id, row_in_batch, error, raw, "
      "copy_tuple) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
      {instance_id_.c_str(), batch_id.c_str(), row_text.c_str(), error.c_str(),
       raw.empty() ? nullptr : raw.c_str(), bytes.c_str()});
  result.malformed_set_aside += malformed;
  if (inserted) {
    result.dead_lettered += rows;
    LogWarn("batch " + batch_id + (row >= 0 ? ", row " + row_text : std::string(", all rows")) +
            ": refused by the database (" + error + "); set aside in sluice.dead_letters");
    return conn_->Exec("RELEASE SAVEPOINT dead_letter");
  }
  if (inserted.error().code() != ErrorCode::kRejected) return inserted;
  result.lost += rows;
  LogError("batch " + batch_id + ": " + std::to_string(rows) +
           " refused row(s) could not be set aside either (" + inserted.error().message() +
           "); counted as shed");
  return conn_->Exec("ROLLBACK TO SAVEPOINT dead_letter; RELEASE SAVEPOINT dead_letter");
}

}  // namespace sluice::sink
