#pragma once

#include <string>

#include "config/settings.h"

namespace sluice::cli {

// What `sluice lookup` looks for: one of the three, in the last `since` ("90m", "24h", "7d").
struct LookupQuery {
  std::string ip;         // an address: its own rows, and aggregates of a network holding it
  std::string sender;     // exact, case-insensitive
  std::string recipient;  // exact, case-insensitive
  std::string since = "7d";
};

// `sluice lookup`: the support desk's question ("was mail from X rejected, when, why?")
// answered from sluice.rejects, detail rows and aggregates alike, oldest first, at most 1000
// lines: time (UTC), where the answer comes from ("detail": one row; "aggregate:GRANULARITY":
// a count in a window, with its sample line), events, client, class, RBL, sender, recipient,
// the line. Aggregates carry no sender or recipient, so a lookup by address also says how many
// aggregated events of the period it cannot search. Exit 0 (also when nothing is found), 1 on
// a bad query or a database error, with the reason.
int RunLookup(const config::Settings& settings, const LookupQuery& query);

}  // namespace sluice::cli
