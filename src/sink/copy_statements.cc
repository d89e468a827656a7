#include "sink/copy_statements.h"

#include "format/copy_encoder.h"
#include "format/summary_encoder.h"

namespace sluice::sink {
namespace {

std::string CopySql(std::string_view table, std::string_view columns) {
  return "COPY sluice." + std::string(table) + " (" + std::string(columns) +
         ") FROM STDIN (FORMAT binary)";
}

}  // namespace

const std::string& EventsCopySql(uint32_t format) {
  static const std::string* v2 =
      new std::string(CopySql("events", format::EventColumnsOf(format::kBatchFormatV2)));
  static const std::string* current =
      new std::string(CopySql("events", format::EventColumnsOf(format::kBatchFormat)));
  return format <= format::kBatchFormatV2 ? *v2 : *current;
}

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

}  // namespace sluice::sink
