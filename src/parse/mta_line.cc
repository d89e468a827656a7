#include "parse/mta_line.h"

#include "parse/exim_reject.h"
#include "parse/postfix_reject.h"
#include "parse/sendmail_reject.h"

namespace sluice::parse {

void ParseMtaLine(std::string_view program, std::string_view message, format::EventRow& row) {
  ParsePostfixReject(program, message, row) || ParseEximReject(program, message, row) ||
      ParseSendmailReject(program, message, row);
}

}  // namespace sluice::parse
