#include "sink/refused_rows.h"

#include "common/logging.h"
#include "format/copy_decoder.h"
#include "sink/copy_statements.h"
#include "sink/ledger.h"

namespace sluice::sink {
namespace {

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

RefusedRowWriter::RefusedRowWriter(PgConnection& conn, const std::string& instance_id,
                                   const std::string& instance_literal)
    : conn_(conn), instance_id_(instance_id), instance_literal_(instance_literal) {}

Result<IsolatedWrite> RefusedRowWriter::Write(const format::Batch& batch) {
  IsolatedWrite result;
  std::string id = std::to_string(batch.id);
  auto fail = [&](const Error& error) -> Result<IsolatedWrite> {
    if (conn_.ok()) (void)conn_.Exec("ROLLBACK");
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
  auto fresh = conn_.ExecColumn(conn_.BeginSql() +
                                ClaimSql(LedgerValues(instance_literal_, batch, batch.rows)));
  if (!fresh) return fail(fresh.error());
  if (fresh->empty()) {
    SLUICE_RETURN_IF_ERROR(conn_.Exec("ROLLBACK"));
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
  if (status) status = CopySummaries(conn_, batch);
  if (status && result.dead_lettered + result.lost > 0) {
    uint64_t stored = batch.rows - result.dead_lettered - result.lost;
    status = conn_.Exec(SetLedgerRowsSql(instance_literal_, batch.id,
                                         stored + batch.aggregate_rows + batch.shed_rows));
  }
  if (status) status = conn_.Exec("COMMIT");
  if (!status) return fail(status.error());
  return result;
}

Status RefusedRowWriter::LoadOrBisect(const format::Batch& batch,
                                      const std::vector<std::string_view>& tuples, size_t begin,
                                      size_t end, IsolatedWrite& result) {
  if (begin == end) return Ok();
  SLUICE_RETURN_IF_ERROR(conn_.Exec("SAVEPOINT rows"));
  std::vector<std::string_view> range(tuples.begin() + static_cast<std::ptrdiff_t>(begin),
                                      tuples.begin() + static_cast<std::ptrdiff_t>(end));
  Status loaded = conn_.CopyIn(EventsCopySql(batch.format), format::CopyDecoder::Assemble(range));
  if (loaded) return conn_.Exec("RELEASE SAVEPOINT rows");
  if (loaded.error().code() != ErrorCode::kRejected) return loaded;
  SLUICE_RETURN_IF_ERROR(conn_.Exec("ROLLBACK TO SAVEPOINT rows; RELEASE SAVEPOINT rows"));
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

Status RefusedRowWriter::SetAside(const format::Batch& batch, int64_t row, std::string_view tuple,
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
  SLUICE_RETURN_IF_ERROR(conn_.Exec("SAVEPOINT dead_letter"));
  Status inserted = conn_.ExecParams(
      "INSERT INTO sluice.dead_letters (instance_id, batch_id, row_in_batch, error, raw, "
      "copy_tuple) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
      {instance_id_.c_str(), batch_id.c_str(), row_text.c_str(), error.c_str(),
       raw.empty() ? nullptr : raw.c_str(), bytes.c_str()});
  result.malformed_set_aside += malformed;
  if (inserted) {
    result.dead_lettered += rows;
    LogWarn("batch " + batch_id + (row >= 0 ? ", row " + row_text : std::string(", all rows")) +
            ": refused by the database (" + error + "); set aside in sluice.dead_letters");
    return conn_.Exec("RELEASE SAVEPOINT dead_letter");
  }
  if (inserted.error().code() != ErrorCode::kRejected) return inserted;
  result.lost += rows;
  LogError("batch " + batch_id + ": " + std::to_string(rows) +
           " refused row(s) could not be set aside either (" + inserted.error().message() +
           "); counted as shed");
  return conn_.Exec("ROLLBACK TO SAVEPOINT dead_letter; RELEASE SAVEPOINT dead_letter");
}

}  // namespace sluice::sink
