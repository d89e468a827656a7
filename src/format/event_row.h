#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::format {

// One row of sluice.events, as views into the datagram (or into a buffer the caller keeps
// alive until the row is encoded). Empty optionals and empty views are stored as NULL, except
// `raw`, which is never NULL. Value type; thread-compatible.
struct EventRow {
  int64_t received_at_us = 0;           // when sluiced read the datagram
  std::optional<int64_t> logged_at_us;  // the syslog header's timestamp
  std::string_view host;
  std::string_view program;
  std::optional<int32_t> pid;
  std::string_view mta;
  std::string_view stage;
  std::optional<bool> is_reject;
  std::string_view client_ip;  // textual IPv4 or IPv6 address
  std::string_view client_name;
  std::string_view helo;
  std::string_view sender;
  std::string_view recipient;
  std::optional<int16_t> smtp_code;
  std::string_view dsn;
  std::string_view reason;
  std::string_view rbl;
  std::string_view reason_class;  // parse/reason_class.h; set for rejects only
  std::string_view raw;           // the datagram, escaped if it was malformed
  bool malformed = false;         // binary, not UTF-8, truncated or empty
};

}  // namespace sluice::format
