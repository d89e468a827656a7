#pragma once

#include <string_view>

#include "format/event_row.h"

namespace sluice::parse {

// Fills the reject fields of `row` from a Sendmail line: `program` is the syslog tag without
// [pid] ("sendmail", "sm-mta", "sm-acceptingconnections", ...), `message` what follows it,
// after an optional queue id. Rejects are policy rejects (`ruleset=check_*, arg1=…,
// relay=name [ip], reject=CODE DSN text`), milter rejects (`Milter: data, reject=…`), `AUTH
// failure` (stage "auth"), pre-greeting traffic (stage "connect"), `VRFY|EXPN … [rejected]`
// (stage "other") and `<addr>... User unknown` / `Relaying denied`. The client is the **last**
// `relay=` before the reply (AUTH user names can carry a fake one). Any other Sendmail line gets
// is_reject false; returns false (and leaves `row` alone) when `program` is not Sendmail.
// The views point into `program` and `message`. Stateless and thread-safe.
// Field meanings: docs/ARCHITECTURE.md, "Reject fields".
bool ParseSendmailReject(std::string_view program, std::string_view message, format::EventRow& row);

}  // namespace sluice::parse
