#pragma once

#include <string_view>

#include "format/event_row.h"

namespace sluice::parse {

// Fills the reject fields of `row` (mta, stage, is_reject, client_ip, client_name, helo,
// sender, recipient, smtp_code, dsn, reason, rbl) from a Postfix line: `program` is the
// syslog tag without [pid] ("postfix/smtpd", "postfix-in/submission/smtpd", ...), `message`
// what follows it. Rejects are smtpd's `NOQUEUE: reject:`, `<queue id>: reject:`, the id-less
// old form and `milter-reject:` at every stage; postscreen's failed tests (`PREGREET`,
// `DNSBL rank`, `HANGUP`, `COMMAND PIPELINING`, ..., stage "postscreen", the verdict as
// reason) and its own `NOQUEUE: reject:`; and `SASL ... authentication failed` warnings
// (stage "auth"). Any other Postfix line gets mta "postfix" and is_reject false; returns false
// (and leaves `row` alone) when `program` is not Postfix. The views point into `program` and
// `message` (zero-copy). Stateless and thread-safe. Field meanings: docs/ARCHITECTURE.md, "Reject
// fields".
bool ParsePostfixReject(std::string_view program, std::string_view message, format::EventRow& row);

}  // namespace sluice::parse
