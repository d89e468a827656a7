#include "pipeline/event_builder.h"

#include "parse/exim_log_line.h"
#include "parse/mta_line.h"
#include "parse/raw_text.h"
#include "parse/reason_class.h"

namespace sluice::pipeline {

namespace {

// Drops the record terminators some senders add: one NUL (Python's SysLogHandler, glibc's
// SOCK_STREAM fallback), then line ends (rsyslog omuxsock templates, hand-written clients).
std::string_view WithoutTerminator(std::string_view payload) {
  if (payload.ends_with('\0')) payload.remove_suffix(1);
  while (payload.ends_with('\n') || payload.ends_with('\r')) payload.remove_suffix(1);
  return payload;
}

}  // namespace

format::EventRow EventBuilder::Build(const ingest::Datagram& datagram) {
  format::EventRow row;
  row.received_at_us = datagram.received_at_us;
  std::string_view payload = WithoutTerminator(datagram.payload);
  if (datagram.truncated || payload.empty() || !parse::IsStorableText(payload)) {
    escaped_ = parse::EscapeRaw(datagram.payload);
    row.raw = escaped_;
    row.malformed = true;
    return row;
  }
  row.raw = payload;
  // A line of Exim's own log files (sluice import) starts with a digit, a datagram with '<'.
  std::optional<parse::SyslogFrame> frame = parse::ParseSyslogFrame(payload, resolver_);
  if ((!frame || frame->program.empty()) && payload.front() >= '0' && payload.front() <= '9') {
    if (auto exim = parse::ParseEximLogLine(payload, resolver_)) frame = exim;
  }
  if (frame) {
    row.logged_at_us = frame->logged_at_us;
    row.host = frame->host;
    row.program = frame->program;
    row.pid = frame->pid;
    parse::ParseMtaLine(frame->program, frame->message, row);
    row.reason_class = parse::ClassifyReject(row);
  }
  if (row.host.empty()) row.host = default_host_;
  return row;
}

}  // namespace sluice::pipeline
