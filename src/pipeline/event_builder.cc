#include "pipeline/event_builder.h"

#include "parse/raw_text.h"

namespace sluice::pipeline {

parse::EventRow EventBuilder::Build(const ingest::Datagram& datagram) {
  parse::EventRow row;
  row.received_at_us = datagram.received_at_us;
  if (datagram.truncated || datagram.payload.empty() ||
      !parse::IsStorableText(datagram.payload)) {
    escaped_ = parse::EscapeRaw(datagram.payload);
    row.raw = escaped_;
    row.malformed = true;
    return row;
  }
  row.raw = datagram.payload;
  if (auto frame = parse::ParseSyslogFrame(datagram.payload, resolver_)) {
    row.logged_at_us = frame->logged_at_us;
    row.host = frame->host;
    row.program = frame->program;
    row.pid = frame->pid;
  }
  return row;
}

}  // namespace sluice::pipeline
