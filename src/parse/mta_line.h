#pragma once

#include <string_view>

#include "format/event_row.h"

namespace sluice::parse {

// Fills the reject fields of `row` with the parser of the MTA the syslog tag names: Postfix
// (parse/postfix_reject.h), Exim (parse/exim_reject.h) or Sendmail (parse/sendmail_reject.h).
// Lines of any other program keep mta and is_reject NULL: unknown, not "not a reject".
// Stateless and thread-safe; the views point into `program` and `message`.
void ParseMtaLine(std::string_view program, std::string_view message, format::EventRow& row);

}  // namespace sluice::parse
