#include "parse/reason_class.h"

#include <array>

namespace sluice::parse {
namespace {

struct Rule {
  std::string_view needle;  // matched as written: MTAs word their rejects with fixed case
  std::string_view klass;
};

// First match wins, so the specific rules come before the broad ones ("blocked using" before
// "Client host rejected", "User unknown" before "Recipient address rejected").
constexpr std::array kRules = {
    Rule{"blocked using ", "rbl"},
    Rule{"DNSBL", "rbl"},
    Rule{" listed at ", "rbl"},
    Rule{"is listed in", "rbl"},
    Rule{"in a black list", "rbl"},
    Rule{"Block List", "rbl"},
    Rule{"blocklist", "rbl"},
    Rule{"blacklist", "rbl"},
    Rule{"PREGREET", "pregreet"},
    Rule{"pre-greeting", "pregreet"},
    Rule{"without waiting for greeting", "pregreet"},
    Rule{"PIPELINING", "protocol"},
    Rule{"NON-SMTP COMMAND", "protocol"},
    Rule{"BARE NEWLINE", "protocol"},
    Rule{"HANGUP", "protocol"},
    Rule{"synchronization error", "protocol"},
    Rule{"syntactically invalid", "protocol"},
    Rule{"Syntax error", "protocol"},
    Rule{"LIMIT", "rate_limit"},
    Rule{"ratelimit", "rate_limit"},
    Rule{"too many ", "rate_limit"},
    Rule{"Too many ", "rate_limit"},
    Rule{"authentication fail", "auth"},
    Rule{"authenticator failed", "auth"},
    Rule{"Incorrect authentication", "auth"},
    Rule{"AUTH failure", "auth"},
    Rule{"reylist", "greylist"},  // Greylisted, greylisting
    Rule{"Relay access denied", "relay_denied"},
    Rule{"elay not permitted", "relay_denied"},
    Rule{"Relaying denied", "relay_denied"},
    Rule{"User unknown", "unknown_recipient"},
    Rule{"user unknown", "unknown_recipient"},
    Rule{"Unrouteable address", "unknown_recipient"},
    Rule{"No such user", "unknown_recipient"},
    Rule{"Recipient address rejected: unverified", "unknown_recipient"},
    Rule{"Sender address rejected", "sender"},
    Rule{"Domain of sender address", "sender"},
    Rule{"Sender verify failed", "sender"},
    Rule{"sender verify", "sender"},
    Rule{"Helo command rejected", "helo"},
    Rule{"HELO", "helo"},
    Rule{"EHLO", "helo"},
    Rule{"cannot find your", "unknown_client"},  // hostname, reverse hostname
    Rule{"reverse DNS", "unknown_client"},
    Rule{"does not resolve", "unknown_client"},
    Rule{"Message content rejected", "content"},
    Rule{"SpamAssassin", "content"},
    Rule{"spam", "content"},
    Rule{"malware", "content"},
    Rule{"virus", "content"},
    Rule{"too big", "content"},
    Rule{"Access denied", "policy"},
    Rule{"policy", "policy"},
    Rule{"Policy", "policy"},
    Rule{"DENYLISTED", "policy"},
    Rule{"denied", "policy"},
    Rule{"Client host rejected", "policy"},  // Postfix check_client_access, after the above
};

}  // namespace

std::string_view ClassifyReject(const format::EventRow& row) {
  if (row.is_reject != true) return "";
  if (!row.rbl.empty()) return "rbl";
  for (const Rule& rule : kRules) {
    if (row.reason.find(rule.needle) != std::string_view::npos) return rule.klass;
  }
  if (row.stage == "auth") return "auth";
  return "other";
}

}  // namespace sluice::parse
