#include "format/summary_encoder.h"

#include "format/copy_fields.h"

namespace sluice::format {

void SummaryEncoder::AppendAggregate(std::string& out, const AggregateRow& row, int64_t batch_id) {
  copy::PutFieldCount(out, 15);
  copy::PutTimestamp(out, row.window_start_us);
  copy::PutTimestamp(out, row.window_end_us);
  copy::PutText(out, row.host);
  copy::PutText(out, row.mta);
  copy::PutText(out, row.stage);
  copy::PutInet(out, row.client_ip);
  copy::PutText(out, row.reason_class);
  copy::PutText(out, row.rbl);
  copy::PutInteger(out, row.smtp_code);
  copy::PutText(out, row.granularity);
  copy::PutInteger<int64_t>(out, static_cast<int64_t>(row.events));
  copy::PutTimestamp(out, row.first_seen_us);
  copy::PutTimestamp(out, row.last_seen_us);
  copy::PutText(out, row.sample);
  copy::PutInteger<int64_t>(out, batch_id);
}

void SummaryEncoder::AppendShed(std::string& out, const ShedRow& row, int64_t batch_id) {
  copy::PutFieldCount(out, 6);
  copy::PutTimestamp(out, row.window_start_us);
  copy::PutTimestamp(out, row.window_end_us);
  copy::PutText(out, row.host);
  copy::PutText(out, row.cause);
  copy::PutInteger<int64_t>(out, static_cast<int64_t>(row.events));
  copy::PutInteger<int64_t>(out, batch_id);
}

}  // namespace sluice::format
