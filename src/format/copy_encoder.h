#pragma once

#include <string>
#include <string_view>

#include "format/event_row.h"

namespace sluice::format {

// The column list of sluice.events in the order CopyEncoder writes them. Columns added later
// go at the end, so the tuples of an older batch format are a prefix of today's.
inline constexpr std::string_view kEventColumns =
    "received_at, logged_at, host, program, pid, mta, stage, is_reject, client_ip, client_name, "
    "helo, sender, recipient, smtp_code, dsn, reason, rbl, raw, malformed, batch_id, "
    "reason_class";

// The columns of a batch's events stream in batch format `format` (format/batch.h):
// format 2 (spooled by sluice 0.3 and earlier) lacks reason_class.
std::string_view EventColumnsOf(uint32_t format);

// Appends rows of sluice.events to a buffer in PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format").
// Not thread-safe: owned by one thread.
class CopyEncoder {
 public:
  // Writes the 19-byte COPY header to `out`.
  static void AppendHeader(std::string& out);
  // Writes one tuple. Text fields must be valid UTF-8 without NUL (see parse/raw_text.h);
  // a client_ip that is not an IP address is written as NULL.
  static void AppendRow(std::string& out, const EventRow& row, int64_t batch_id);
  // Writes the end-of-data marker.
  static void AppendTrailer(std::string& out);
};

}  // namespace sluice::format
