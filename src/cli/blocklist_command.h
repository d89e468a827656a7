#pragma once

#include <string>

#include "config/settings.h"

namespace sluice::cli {

// What `sluice blocklist` lists and how it writes it.
struct BlocklistQuery {
  std::string since = "1h";             // "90m", "24h", "7d"
  long long min_events = 100;           // rejects a network needs in the period to be listed
  int prefix = 32;                      // IPv4 networks listed: /prefix (32: single addresses)
  int prefix6 = 128;                    // IPv6 networks listed: /prefix6
  std::string format = "postfix-cidr";  // postfix-cidr | nftables | plain
  std::string output;                   // "" = standard output; else written atomically
  std::string never;                    // an allow list file: networks never listed
  bool list_loopback = false;           // a lab's or a test's MTA on loopback: list it too
};

// `sluice blocklist`: the client addresses or networks with at least `min_events` rejects in
// the last `since`, from sluice.rejects (detail rows and aggregates alike: an aggregate of a
// coarser network counts for that network), never one that overlaps the allow list or
// loopback (unless `list_loopback`), busiest first. Formats: a Postfix cidr: table ("NETWORK
// reject", for postscreen_access_list or check_client_access), an nftables script (table inet
// sluice: sets blocklist4/blocklist6 and a chain dropping them on TCP port 25, replaced whole by
// nft -f), or plain ("NETWORK EVENTS"). The output file is replaced atomically (written beside it,
// synced, renamed). Exit 0 (also when nothing is listed), 1 on a bad option, a bad allow list
// line (file:line and why) or a database error, leaving an existing output file unchanged.
int RunBlocklist(const config::Settings& settings, const BlocklistQuery& query);

}  // namespace sluice::cli
