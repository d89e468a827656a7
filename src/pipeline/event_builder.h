#pragma once

#include <string>

#include "format/event_row.h"
#include "ingest/datagram_block.h"
#include "parse/syslog_frame.h"

namespace sluice::pipeline {

// Turns a received datagram into a sluice.events row: header fields from the syslog frame,
// the reject fields of Postfix, Exim and Sendmail lines (parse/mta_line.h), the line itself,
// without a trailing NUL or line end, as `raw`. A datagram that is empty, truncated, not UTF-8 or
// holds a NUL elsewhere is malformed: it keeps only received_at and all its bytes, escaped, as
// `raw`. Not thread-safe: owned by the pipeline thread; the returned row points into the datagram,
// into this builder (its default host) and into static storage (parse::kEximProgram), valid
// until the next Build().
class EventBuilder {
 public:
  // Refreshes the clock used to resolve year-less timestamps; call about once a second.
  void SetNow(int64_t now_us) { resolver_.SetNow(now_us); }
  // The host of rows whose syslog header names none (glibc's syslog(3) sends none), so that
  // rows from many MTA hosts in one database can be told apart; "" leaves them NULL.
  void SetDefaultHost(std::string host) { default_host_ = std::move(host); }
  format::EventRow Build(const ingest::Datagram& datagram);

 private:
  parse::TimestampResolver resolver_;
  std::string escaped_;
  std::string default_host_;
};

}  // namespace sluice::pipeline
