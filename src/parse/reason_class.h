#pragma once

#include <string_view>

#include "format/event_row.h"

namespace sluice::parse {

// The fixed set of reject classes stored in reason_class (README, "Reject classes"). Grouping
// millions of rejects by class is what aggregation under flood keys on, so the set is small
// and closed: a reject that matches nothing specific is "other", never a new class.
//   rbl                a DNS block list named or scored the client (postscreen DNSBL too)
//   pregreet           the client talked before the greeting
//   protocol           SMTP protocol abuse: pipelining unasked, non-SMTP commands, bare
//                      newlines, hang-ups, synchronisation errors, bad syntax
//   rate_limit         connection, command or message rate limits
//   auth               failed SMTP AUTH
//   greylist           deferred by greylisting
//   relay_denied       relaying refused
//   unknown_recipient  no such user / unrouteable recipient
//   sender             the envelope sender was refused (unresolvable domain, verify failed,
//                      not owned)
//   helo               the HELO/EHLO name was refused
//   unknown_client     the client has no (matching) reverse DNS
//   content            refused for the message itself: spam score, malware, size
//   policy             an access map, policy service or local rule said no
//   other              any other reject
inline constexpr std::string_view kReasonClasses[] = {
    "rbl",    "pregreet", "protocol",       "rate_limit",
    "auth",   "greylist", "relay_denied",   "unknown_recipient",
    "sender", "helo",     "unknown_client", "content",
    "policy", "other"};

// The class of a parsed reject (`row.is_reject` true), from its stage, reason and RBL zone;
// "" (NULL) for anything that is not a reject. Stateless and thread-safe.
std::string_view ClassifyReject(const format::EventRow& row);

}  // namespace sluice::parse
