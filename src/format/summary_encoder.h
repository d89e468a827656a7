#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::format {

// One row of sluice.aggregates: `events` rejects that shared a key in a window. Views must
// stay valid until the row is encoded. Value type; thread-compatible.
struct AggregateRow {
  int64_t window_start_us = 0;
  int64_t window_end_us = 0;
  std::string_view host;  // key fields; empty = NULL (not in the key)
  std::string_view mta;
  std::string_view stage;
  std::string_view client_ip;  // an address, or a network ("198.18.3.0/24") once coarsened
  std::string_view reason_class;
  std::string_view rbl;
  std::optional<int16_t> smtp_code;
  std::string_view granularity;  // "key", "prefix" or "class"
  uint64_t events = 0;
  int64_t first_seen_us = 0;  // received_at of the first and last event counted
  int64_t last_seen_us = 0;
  std::string_view sample;  // the raw line of one of them
};

// One row of sluice.shed: `events` dropped for `cause` in a window. Value type.
struct ShedRow {
  int64_t window_start_us = 0;
  int64_t window_end_us = 0;
  std::string_view host;  // the machine sluiced runs on
  std::string_view cause;
  uint64_t events = 0;
};

inline constexpr std::string_view kAggregateColumns =
    "window_start, window_end, host, mta, stage, client_ip, reason_class, rbl, smtp_code, "
    "granularity, events, first_seen, last_seen, sample, batch_id";
inline constexpr std::string_view kShedColumns =
    "window_start, window_end, host, cause, events, batch_id";

// Appends summary rows to a buffer in PostgreSQL's binary COPY format; the stream's header
// and trailer are CopyEncoder's (or copy::PutHeader/PutTrailer). Stateless; thread-safe.
class SummaryEncoder {
 public:
  static void AppendAggregate(std::string& out, const AggregateRow& row, int64_t batch_id);
  static void AppendShed(std::string& out, const ShedRow& row, int64_t batch_id);
};

}  // namespace sluice::format
