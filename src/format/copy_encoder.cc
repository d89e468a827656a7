#include "format/copy_encoder.h"

#include <cstdint>

#include "format/batch.h"
#include "format/copy_fields.h"

namespace sluice::format {
namespace {

using copy::PutBigEndian;
using copy::PutBool;
using copy::PutInet;
using copy::PutInteger;
using copy::PutText;
using copy::PutTimestamp;

constexpr int16_t kColumnCount = 21;

}  // namespace

std::string_view EventColumnsOf(uint32_t format) {
  if (format <= kBatchFormatV2)
    return kEventColumns.substr(0, kEventColumns.rfind(", reason_class"));
  return kEventColumns;
}

void CopyEncoder::AppendHeader(std::string& out) { copy::PutHeader(out); }

void CopyEncoder::AppendRow(std::string& out, const EventRow& row, int64_t batch_id) {
  PutBigEndian<int16_t>(out, kColumnCount);
  PutTimestamp(out, row.received_at_us);
  PutTimestamp(out, row.logged_at_us);
  PutText(out, row.host);
  PutText(out, row.program);
  PutInteger(out, row.pid);
  PutText(out, row.mta);
  PutText(out, row.stage);
  PutBool(out, row.is_reject);
  PutInet(out, row.client_ip);
  PutText(out, row.client_name);
  PutText(out, row.helo);
  PutText(out, row.sender);
  PutText(out, row.recipient);
  PutInteger(out, row.smtp_code);
  PutText(out, row.dsn);
  PutText(out, row.reason);
  PutText(out, row.rbl);
  PutBigEndian<int32_t>(out, static_cast<int32_t>(row.raw.size()));  // raw: never NULL
  out.append(row.raw);
  PutBool(out, row.malformed);
  PutInteger<int64_t>(out, batch_id);
  PutText(out, row.reason_class);
}

void CopyEncoder::AppendTrailer(std::string& out) { copy::PutTrailer(out); }

}  // namespace sluice::format
