#pragma once

#include <string_view>

#include "format/event_row.h"

namespace sluice::parse {

// Fills the reject fields of `row` from an Exim line: `program` is the syslog tag without
// [pid] ("exim", "exim4"), `message` what follows it. Exim's own prefixes are skipped first:
// the `[n/m]`/`[n\m]` piece marker of a split line, its timestamp (syslog_timestamp), the
// `[pid]` of +pid and the message id. Rejects are `rejected RCPT|MAIL|EHLO or HELO|after DATA|
// connection|from <…>` (also "temporarily rejected"), with the client from `H=name (helo)
// [ip]:port` and the sender from `F=<…>`, plus `authenticator failed for …` (stage "auth") and
// SMTP synchronisation errors. Delivery lines (`<=`, `=>`, `**`, `==`, …) are not rejects; a
// continuation piece of a split line (`[2/3] …`) cannot be judged alone: is_reject stays NULL.
// Returns false (and leaves `row` alone) when `program` is not Exim. The views point into
// `program` and `message`. Stateless and thread-safe. Field meanings: docs/ARCHITECTURE.md, "Reject
// fields".
bool ParseEximReject(std::string_view program, std::string_view message, format::EventRow& row);

}  // namespace sluice::parse
