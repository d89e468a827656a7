#pragma once

#include <string_view>

namespace sluice::sink {

// What sluice does when PostgreSQL refuses a statement, decided by the error's SQLSTATE in
// this one place (README, "When the database says no"):
//   - a data error (class 22, data exception, which includes COPY's bad-format errors, and
//     class 23, integrity constraint violation) refuses rows for their content: the batch is
//     bisected and the refused rows go to sluice.dead_letters;
//   - anything else (a read-only standby, a missing grant, a dropped table or column, a
//     server out of disk or shutting down, an I/O error on the server, a lost connection)
//     says nothing about the rows: the batch stays in the spool and is written again later,
//     after a backoff, once the cause is gone.
// Stateless and thread-safe.

// True when `sqlstate` refuses the rows themselves (classes 22 and 23).
bool IsDataError(std::string_view sqlstate);

// What an operator should look at for a refusal with `sqlstate` that is not a data error,
// in a few words ("" when there is nothing more to say than the server's message).
std::string_view RefusalHint(std::string_view sqlstate);

}  // namespace sluice::sink
